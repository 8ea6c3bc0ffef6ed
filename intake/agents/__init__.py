"""The support team without Flask: accounts, groups, sign-in with a second factor, API tokens."""

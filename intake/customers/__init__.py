"""What the service keeps about a customer, handed over (export) or erased on request."""

"""The knowledge base as the service sees it: the manifest mirror, search, feedback."""

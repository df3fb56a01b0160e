"""Use cases both adapters call. They join the core and storage and return neutral replies."""

"""The pure core: content, search, rendering to neutral replies. No Discord, no SQL, no I/O but file reads."""

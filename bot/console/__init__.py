"""The offline console: the same commands and replies as Discord, typed and printed in a terminal."""

3501 5.5.4 Syntax error (no parameters allowed)

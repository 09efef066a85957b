"""Reading documents: JSON with positions, JSON pointers, source maps, ECMA-262 regexes, $ref resolution."""

"""Regular languages of ECMA-262 ``pattern``s as finite automata over character classes.

The pipeline: ``registry.syntax.regexes.parse_exact`` (the project's ECMA-262 reader) → a
Thompson NFA over code-point sets (``nfa``) → a minimal DFA over the disjoint classes those sets
cut the Unicode range into (``dfa``) → products of several DFAs searched breadth-first for a
shortest accepted string (``search``). ``registry.diff.patterns`` is the interface.
"""

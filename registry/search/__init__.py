"""Search by the meaning of the words: the Japanese analyser, the synonym table, ranking.

``analyser`` turns text into index keys (normalised forms and hiragana readings of SudachiPy
morphemes) and a query into groups of alternative keys; ``ranking`` scores the postings the
index returns and words the reason a result matched; ``topk`` finds a page of the best results
without reading every posting (the threshold algorithm); ``cursors`` encodes and checks page
cursors. Pure of storage and web: the SQL side lives in ``registry/storage/search_index.py``.
"""

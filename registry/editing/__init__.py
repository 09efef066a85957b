"""The form editor's pure core: a schema and template.json as an editable form model and back.

``model.from_documents`` reads a published version into a ``FormModel`` (fields in order with
their titles, help, limits, choices, marks; conditions; the template's metadata), the editor
changes it with ``model.apply_action``, and ``model.to_documents`` writes the next version's
schema and template.json. Whatever the editor does not understand is carried through unchanged,
so a model read and written back without edits gives the same documents.
"""

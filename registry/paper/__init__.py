"""The paper form: print model (model), HTML (html), PDF (pdf). See docs/paper.md."""

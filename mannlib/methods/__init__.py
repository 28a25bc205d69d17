"""Methods that read trained models: traces and probes (``analysis``), the papers' hypothesised
algorithms (``hypotheses``), memory-signature decoders (``signatures``) and the shared plots
(``plots``). A method takes runs or states, never a chapter's settings."""

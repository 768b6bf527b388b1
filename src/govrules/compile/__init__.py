"""Compiling a pack: conditions through rule-engine's parser into three-valued closures, references and
citations checked, and the compiled-pack cache that lets a pack be loaded without compiling it again."""

"""Pack files: the hardened YAML reader, the bundled packs, `extends`, the pack model's validation with
positions, project files, and the skeleton of a new pack. All file input of govrules is read here."""

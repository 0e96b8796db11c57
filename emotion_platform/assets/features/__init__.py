"""The features group: what each media segment is described by (speech embedding, descriptors, faces)."""

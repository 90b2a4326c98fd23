"""Model backends behind one interface per modality (embedding, text, image, speech)."""

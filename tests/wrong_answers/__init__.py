"""Wrong-but-plausible answers per lesson: each must lose points on the hidden test of its exercise."""

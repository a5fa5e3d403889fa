"""Pure Python dataset codecs and canonical hashing. No Django: any app may import it."""

"""MIR measurements: tempo, key, energy, voice, spectrum and the descriptor vector."""

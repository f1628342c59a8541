"""Songs from lyrics: form, melody, harmony and arrangement, all as editable scores.

``sheet`` reads a lyrics file, ``tonefit`` scores how a melody follows Mandarin tones,
``styles`` holds what makes pop sound like pop, ``melody`` writes the vocal line,
``harmony`` the chords under it, ``arrange`` the band parts, and ``song`` ties them into
one :class:`~yinse.compose.song.Composition`.
"""

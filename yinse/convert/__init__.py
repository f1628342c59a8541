"""Voice conversion: a dry vocal (singing or speech) re-voiced in a consented target voice.

``analysis`` reads and checks the input (and cuts long inputs into chunks), ``targets``
finds the frames to play (an enrolled voice's bank, or one made from a built-in voice),
``convert`` matches and resynthesises.  The consent gate and the output stage are in
:func:`yinse.pipeline.convert_to_file`.
"""

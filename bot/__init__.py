"""newsbot's answering half: retrieve, synthesize, cite; and the interfaces (CLI, Discord, eval).

Heavy libraries (llama-index, onnxruntime, openai, discord) are imported inside the functions
that need them, so importing this package stays cheap.
"""

import NightdeskTokenizer

/// The tokenizer's streaming decoder already has the shape the engine needs.
extension StreamingDecoder: TokenTextDecoder {}

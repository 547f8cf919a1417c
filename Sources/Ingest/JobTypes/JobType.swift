/// A kind of analysis a desk submits documents for (`Jobs/types/NAME.yaml`): what it
/// reads, how documents are chunked, the prompts (system, per-chunk questions, the
/// synthesis over the chunks' answers), the schema of its structured output, sampling
/// and limits. Loaded and validated by `JobType.load(path:)`.
public struct JobType: Sendable, Equatable {
  /// One question asked of every chunk.
  public struct Question: Sendable, Equatable {
    /// A short name, unique in the job type (`metrics`, `risks`).
    public var id: String
    public var text: String
  }

  public struct Prompts: Sendable, Equatable {
    public var system: String
    public var questions: [Question]
    /// Asked once the chunks are answered, over their answers.
    public var synthesis: String
  }

  public struct Sampling: Sendable, Equatable {
    public var temperature: Double
    public var topP: Double
    public var seed: Int?

    public init(temperature: Double, topP: Double, seed: Int?) {
      self.temperature = temperature
      self.topP = topP
      self.seed = seed
    }
  }

  public struct Limits: Sendable, Equatable {
    /// Generated tokens per chunk answer.
    public var maxTokens: Int
    /// Generated tokens for the synthesis.
    public var synthesisMaxTokens: Int
    /// Chunks per document at most: a longer document is refused, not half-read.
    public var maxChunks: Int
    /// Bytes of one input file at most.
    public var maxInputBytes: Int
  }

  /// The file's name without `.yaml`; also the name `submit --type` takes.
  public var name: String
  public var description: String?
  public var input: InputFamily
  /// `contextBudget` is nil here: it comes from the model at submit or claim time.
  public var chunking: ChunkingOptions
  /// Whether a document that fits the model's context goes in whole.
  public var longContext: Bool
  /// Qwen3's `enable_thinking`.
  public var thinking: Bool
  public var prompts: Prompts
  public var outputSchema: OutputSchema
  public var sampling: Sampling
  public var limits: Limits
  /// The file it was loaded from.
  public var file: String

  /// The chunking options for a model whose context leaves `contextBudget` tokens for
  /// the document (nil: unknown, so always chunk).
  public func chunking(contextBudget: Int?) -> ChunkingOptions {
    var options = chunking
    options.contextBudget = longContext ? contextBudget : nil
    return options
  }
}

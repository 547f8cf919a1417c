/// How far a reduced-precision model (e.g. `ActivationPrecision.int8`) strays from the
/// reference, measured teacher-forced: both models see the same tokens (the prompt,
/// then the reference's greedy choices), and every step's full logit rows are compared.
/// The candidate's own greedy output equals the reference's for exactly `leadingAgreements`
/// steps of each prompt (the same prefix gives the same choice until the first disagreement).
public struct PrecisionComparison: Sendable, Equatable {
  /// Steps compared (one per generated position, over all prompts).
  public private(set) var steps = 0
  /// Steps where both models' top-1 token is the same.
  public private(set) var topOneAgreements = 0
  /// Per prompt: steps before the first top-1 disagreement (= identical greedy tokens).
  public private(set) var leadingAgreements: [Int] = []
  /// Largest |candidate − reference| over every logit of every step.
  public private(set) var maxLogitError: Float = 0
  /// Mean |candidate − reference| over every logit of every step.
  public var meanLogitError: Double { logitCount == 0 ? 0 : errorSum / Double(logitCount) }
  /// Mean over steps of the reference's top-1 minus top-2 logit (how decisive the choices were).
  public var meanTopMargin: Double { steps == 0 ? 0 : marginSum / Double(steps) }
  /// Mean |reference logit| (the scale the errors compare with).
  public var meanAbsoluteLogit: Double { logitCount == 0 ? 0 : magnitudeSum / Double(logitCount) }

  private var errorSum = 0.0, magnitudeSum = 0.0, marginSum = 0.0
  private var logitCount = 0

  public init() {}

  public var topOneAgreement: Double { steps == 0 ? 1 : Double(topOneAgreements) / Double(steps) }

  /// Compares `steps` greedy positions after each prompt; the reference caches keys and values
  /// in float32, the candidate in `candidateKV`.
  public static func measure(reference: any LanguageModel, candidate: any LanguageModel, prompts: [[Int32]],
                             steps: Int, candidateKV: KVPrecision = .f32) throws -> PrecisionComparison {
    var result = PrecisionComparison()
    for prompt in prompts where !prompt.isEmpty {
      let capacity = prompt.count + steps
      let expected = try SingleSequence(model: reference, capacity: capacity)
      let actual = try SingleSequence(model: candidate, capacity: capacity, precision: candidateKV)
      var want = try expected.feed(prompt), got = try actual.feed(prompt)
      var leading = 0, diverged = false
      for step in 0..<steps {
        let choice = argmax(want)
        if argmax(got) == choice {
          result.topOneAgreements += 1
          if !diverged { leading += 1 }
        } else {
          diverged = true
        }
        result.record(reference: want, candidate: got)
        if step + 1 < steps {
          want = try expected.feed([Int32(choice)])
          got = try actual.feed([Int32(choice)])
        }
      }
      result.leadingAgreements.append(leading)
    }
    return result
  }

  private mutating func record(reference: [Float], candidate: [Float]) {
    steps += 1
    var first = -Float.infinity, second = -Float.infinity
    for (want, got) in zip(reference, candidate) {
      let error = abs(got - want)
      maxLogitError = max(maxLogitError, error)
      errorSum += Double(error)
      magnitudeSum += Double(abs(want))
      if want > first {
        second = first
        first = want
      } else if want > second {
        second = want
      }
    }
    logitCount += reference.count
    marginSum += Double(first - second)
  }
}

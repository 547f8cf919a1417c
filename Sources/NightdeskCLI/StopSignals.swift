import Foundation

/// SIGTERM and SIGINT taken over from their default (ending the process at once), so a
/// long-running command can stop in order: `handler` runs on a dispatch queue for each
/// signal, with its number. Cancel the sources once the command is done.
func onStopSignals(_ handler: @escaping @Sendable (Int32) -> Void) -> [any DispatchSourceSignal] {
  [SIGTERM, SIGINT].map { number in
    signal(number, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    source.setEventHandler { handler(number) }
    source.resume()
    return source
  }
}

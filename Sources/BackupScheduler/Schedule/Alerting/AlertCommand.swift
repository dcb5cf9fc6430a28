/// `alert.command`: a program run when a slot fails or is missed, with the details in `RDS_*`
/// environment variables. It is run directly (argv, no shell), so nothing in the details can be
/// interpreted as shell syntax.
public struct AlertCommand: Sendable, Hashable {
    /// The program (an absolute path) and its arguments.
    public var argv: [String]
    /// The command is killed when it runs longer than this (default 30 s).
    public var timeout: Duration

    /// The default of `alert.command_timeout`.
    public static let defaultTimeout = Duration.seconds(30)

    public init(argv: [String], timeout: Duration = AlertCommand.defaultTimeout) {
        self.argv = argv
        self.timeout = timeout
    }
}

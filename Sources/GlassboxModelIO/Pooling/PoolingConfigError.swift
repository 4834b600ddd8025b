import Foundation

/// Why a checkpoint's sentence-transformers files (`modules.json`, the pooling module's
/// `config.json`) cannot be used to pool its embeddings.
public struct PoolingConfigError: Error, LocalizedError, Equatable, Sendable {
    /// The file at fault (a path).
    public let file: String
    /// What is wrong, naming the key or module.
    public let detail: String

    /// An error about `file`.
    public init(file: String, detail: String) { (self.file, self.detail) = (file, detail) }

    /// One line naming the file.
    public var errorDescription: String? { "\(file): \(detail)" }
}

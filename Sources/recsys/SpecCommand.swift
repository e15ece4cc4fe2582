import ArgumentParser
import Foundation
import Ranker

/// `recsys spec`: print a preset feature spec as JSON, the start of a spec file.
struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spec",
        abstract: "Print a preset feature spec as JSON, to start a spec file for `train --spec FILE`.",
        discussion: """
        Presets: \(FeatureSpec.presetSummaries). Edit the copy for other samples, e.g. \
        raise movieId's identity to the largest id + 1 (every column sharing its table too).
        """
    )
    @Argument(help: "The preset.") var preset: String = FeatureSpec.defaultPreset

    func run() throws {
        guard let spec = FeatureSpec.preset(preset) else {
            throw CLIError("no preset '\(preset)' (presets: \(FeatureSpec.presets.joined(separator: ", ")))")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(spec), as: UTF8.self))
    }
}

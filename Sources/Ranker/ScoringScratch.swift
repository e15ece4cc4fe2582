import EmbedStore

/// One scoring request's working memory: the MLP's activations for up to
/// `batch` candidates, each candidate's attention row of the first layer and
/// the attention unit's pairs. Kept in the model's `ScratchPool` and reused,
/// so a request allocates nothing of the candidates' size: freshly mapped
/// buffers of that size cost page faults on every request (perf: a fifth of
/// a DIN model's scoring time).
final class ScoringScratch {
    /// Candidates per pass through the MLP.
    static let batch = 1024
    let attention = AttentionScratch()
    let pairs = ScratchBuffer<Float>()
    private var workspace: Workspace?

    /// Activations for `ScoringScratch.batch` rows of `model`, made on first use.
    func workspace(_ model: EmbeddingMLP) -> Workspace {
        if let workspace { return workspace }
        let w = Workspace(model: model, batch: ScoringScratch.batch, stackedInput: false)
        workspace = w
        return w
    }
}

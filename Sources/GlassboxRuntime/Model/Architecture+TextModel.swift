extension Architecture {
    /// The one line refusing an image for the text model of a `composite` checkpoint
    /// (``textModelOf``, e.g. `Gemma3ForConditionalGeneration`), whose vision tower is not run.
    public static func visionTowerNotRun(_ composite: String) -> String {
        "this \(composite) checkpoint runs as its text model (Glassbox does not run its vision tower): "
            + "it reads text, not images; give a prompt or --ids"
    }
}

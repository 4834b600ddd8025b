import Glassbox

extension Bench {
    /// Makes the allocator settings the `glassbox` CLI makes (`AllocatorSettings`), so that the
    /// benchmarks measure the code as shipped, with no environment tuning, then runs the command.
    static func main() {
        AllocatorSettings.apply()
        main(nil)
    }
}

/// Maximum flow by Dinic's algorithm (blocking flows on BFS level graphs), `O(V²E)` worst case and
/// far less on the layered attention graphs. Capacities are `Double`; residuals below `epsilon`
/// count as saturated.
struct MaxFlowGraph {
    private(set) var nodeCount: Int
    // Edge i goes to `to[i]`; its reverse is `i ^ 1`.
    private var to: [Int] = []
    private var capacity: [Double] = []
    private var adjacency: [[Int]]
    static let epsilon = 1e-12

    init(nodes: Int) {
        nodeCount = nodes
        adjacency = Array(repeating: [], count: nodes)
    }

    /// Adds `from → to` with `capacity` (and a zero-capacity reverse edge).
    mutating func addEdge(from: Int, to target: Int, capacity c: Double) {
        adjacency[from].append(to.count)
        to.append(target)
        capacity.append(c)
        adjacency[target].append(to.count)
        to.append(from)
        capacity.append(0)
    }

    /// The maximum flow from `source` to `sink`, on a fresh copy of the capacities (flows to
    /// different sinks are not additive, so each starts from the original graph).
    func maxFlow(from source: Int, to sink: Int) -> Double {
        guard source != sink else { return .infinity }
        var residual = capacity
        var level = [Int](repeating: -1, count: nodeCount)
        var next = [Int](repeating: 0, count: nodeCount)
        var total = 0.0

        func bfs() -> Bool {
            for i in level.indices { level[i] = -1 }
            var queue = [source]
            level[source] = 0
            var head = 0
            while head < queue.count {
                let u = queue[head]
                head += 1
                for e in adjacency[u] where residual[e] > Self.epsilon && level[to[e]] < 0 {
                    level[to[e]] = level[u] + 1
                    queue.append(to[e])
                }
            }
            return level[sink] >= 0
        }

        func dfs(_ u: Int, _ pushed: Double) -> Double {
            if u == sink { return pushed }
            while next[u] < adjacency[u].count {
                let e = adjacency[u][next[u]]
                let v = to[e]
                if residual[e] > Self.epsilon && level[v] == level[u] + 1 {
                    let got = dfs(v, min(pushed, residual[e]))
                    if got > Self.epsilon {
                        residual[e] -= got
                        residual[e ^ 1] += got
                        return got
                    }
                }
                next[u] += 1
            }
            return 0
        }

        while bfs() {
            for i in next.indices { next[i] = 0 }
            while true {
                let pushed = dfs(source, .infinity)
                if pushed <= Self.epsilon { break }
                total += pushed
            }
        }
        return total
    }
}

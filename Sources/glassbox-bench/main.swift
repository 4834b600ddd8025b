print("glassbox-bench: work in progress")

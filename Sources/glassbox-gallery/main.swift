// Renders the README gallery from fixed data (filled in by the rendering work).
print("glassbox-gallery: nothing to render yet")

#include <png.h>

// The simplified-API macros are not imported into Swift: re-export what the reader needs.
static const unsigned int glassbox_png_format_rgba = PNG_FORMAT_RGBA;
static const unsigned int glassbox_png_format_linear_rgb_alpha = PNG_FORMAT_LINEAR_RGB_ALPHA;
static inline size_t glassbox_png_image_size(const png_image *image) { return PNG_IMAGE_SIZE(*image); }
static inline int glassbox_png_image_failed(const png_image *image) { return PNG_IMAGE_FAILED(*image); }

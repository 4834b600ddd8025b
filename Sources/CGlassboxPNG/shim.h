#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// libpng reports errors by longjmp, which Swift cannot catch; this wrapper keeps the setjmp in C.
// It decodes any PNG (gray, gray+alpha, RGB, RGBA, palette, 1-16 bits, interlaced) into its
// channels without colour management: palettes and low bit depths are expanded (tRNS becomes an
// alpha channel), 16-bit samples stay 16-bit (big-endian pairs), gamma chunks are ignored.
// It reads from `fd` (which it closes) and refuses images wider or taller than `maxSide` or with
// more than `maxPixels` pixels before allocating anything (returns 2, message in `error`).
// On success returns 0 and a malloc'ed buffer of height rows of width*channels*(bitDepth/8) bytes;
// on failure returns nonzero and a message in `error`.

struct glassbox_png_error { char message[256]; jmp_buf jump; };

static void glassbox_png_on_error(png_structp png, png_const_charp message) {
    struct glassbox_png_error *e = (struct glassbox_png_error *)png_get_error_ptr(png);
    snprintf(e->message, sizeof e->message, "%s", message);
    longjmp(e->jump, 1);
}

static void glassbox_png_on_warning(png_structp png, png_const_charp message) { (void)png; (void)message; }

static inline int glassbox_png_decode(int fd, unsigned int maxSide, size_t maxPixels, unsigned char **pixels,
                                      int *width, int *height, int *channels, int *bitDepth, char *error,
                                      size_t errorLength) {
    *pixels = NULL;
    FILE *file = fdopen(fd, "rb");
    if (!file) { close(fd); snprintf(error, errorLength, "cannot open the file"); return 1; }
    unsigned char signature[8];
    if (fread(signature, 1, 8, file) != 8 || png_sig_cmp(signature, 0, 8) != 0) {
        fclose(file);
        snprintf(error, errorLength, "not a PNG file (bad signature)");
        return 1;
    }
    struct glassbox_png_error e;
    e.message[0] = 0;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &e, glassbox_png_on_error, glassbox_png_on_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        if (png) png_destroy_read_struct(&png, NULL, NULL);
        fclose(file);
        snprintf(error, errorLength, "out of memory");
        return 1;
    }
    unsigned char *volatile buffer = NULL;
    png_bytep *volatile rows = NULL;
    if (setjmp(e.jump)) {
        free(buffer);
        free(rows);
        png_destroy_read_struct(&png, &info, NULL);
        fclose(file);
        snprintf(error, errorLength, "%s", e.message[0] ? e.message : "corrupt PNG data");
        return 1;
    }
    png_init_io(png, file);
    png_set_sig_bytes(png, 8);
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);   // our own limits below, with our message
    png_read_info(png, info);
    {
        png_uint_32 w0 = png_get_image_width(png, info), h0 = png_get_image_height(png, info);
        if (w0 > maxSide || h0 > maxSide || (size_t)w0 * (size_t)h0 > maxPixels) {
            png_destroy_read_struct(&png, &info, NULL);
            fclose(file);
            snprintf(error, errorLength, "%u × %u pixels, over the limit of %u pixels per side and %zu pixels in all",
                     (unsigned)w0, (unsigned)h0, maxSide, maxPixels);
            return 2;
        }
    }
    png_set_expand(png);                       // palette → RGB, gray < 8 bit → 8 bit, tRNS → alpha
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int w = (int)png_get_image_width(png, info), h = (int)png_get_image_height(png, info);
    int c = (int)png_get_channels(png, info), depth = (int)png_get_bit_depth(png, info);
    size_t rowBytes = png_get_rowbytes(png, info);
    buffer = (unsigned char *)malloc(rowBytes * (size_t)h);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * (size_t)h);
    if (!buffer || !rows) png_error(png, "out of memory");
    for (int y = 0; y < h; y++) rows[y] = buffer + (size_t)y * rowBytes;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(file);
    *pixels = buffer; *width = w; *height = h; *channels = c; *bitDepth = depth;
    return 0;
}

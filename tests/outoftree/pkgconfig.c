/* Built with nothing but `pkg-config --cflags --libs coil`. */
#include <stdio.h>
#include <string.h>

#include <coil/coil.h>

int main(void)
{
    const char *s = coil_strerror(COIL_ECLASS);
    printf("%s\n", s);
    return strcmp(s, "unknown class") == 0 ? 0 : 1;
}

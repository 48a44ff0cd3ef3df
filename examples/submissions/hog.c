/* A submission that keeps every number many times over, in memory it
 * touches: it meets the memory limit. */
#include <stdlib.h>
#include <string.h>

int main(void)
{
    for (;;) {
        char *block = malloc(1 << 20);
        if (!block)
            return 3;
        memset(block, 1, 1 << 20);
    }
}

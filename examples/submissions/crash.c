/* A submission that dereferences a null pointer on its first number. */
#include <stdio.h>

int main(void)
{
    long long n;
    long long *slot = NULL;
    if (scanf("%lld", &n) == 1)
        *slot = n;
    return 0;
}

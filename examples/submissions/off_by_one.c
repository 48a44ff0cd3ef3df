/* A wrong submission: forgets the last number. */
#include <stdio.h>

int main(void)
{
    long long sum = 0, n, last = 0;
    while (scanf("%lld", &n) == 1) {
        sum += last;
        last = n;
    }
    printf("%lld\n", sum);
    return 0;
}

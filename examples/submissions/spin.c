/* A submission that never finishes. */
int main(void)
{
    for (volatile unsigned long i = 0;; i++)
        ;
}

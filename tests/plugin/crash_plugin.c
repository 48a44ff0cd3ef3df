/* A plugin as a plugin host dlopens it: its crash must be named in the
 * task's backtrace by its exported name.  Built stripped, as shipped
 * plugins often are: only its dynamic symbol table names it. */
int plugin_analyze(volatile int *data);

__attribute__((noinline)) int plugin_analyze(volatile int *data)
{
    return *data * 2 + 1;
}

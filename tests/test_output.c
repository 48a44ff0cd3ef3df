/* Output capture: byte-exact, both streams at once without deadlock, capped
 * with the rest counted, passed to a callback as it arrives. */
#include <malloc.h>

#include "support.h"

#define MIB (1024 * 1024)

static int flood_both_streams(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    size_t total = *(size_t *)arg;
    static char chunk[65536];
    memset(chunk, 'o', sizeof chunk);
    /* Alternate small writes: a parent that blocked on one pipe would
     * deadlock against the other filling up. */
    for (size_t done = 0; done < total; done += sizeof chunk) {
        if (write(1, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
            return 1;
        if (write(2, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
            return 2;
    }
    return 0;
}

static void test_output_20_mib_on_both_streams_at_once(void **state)
{
    (void)state;
    size_t total = 20 * MIB;
    cordon_task *t = cordon_function_task(flood_both_streams, &total);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0);
    assert_int_equal(r->std_out.len, total);
    assert_int_equal(r->std_err.len, total);
    assert_int_equal(r->std_out.dropped, 0);
    assert_true(r->std_out.data[total - 1] == 'o' && r->std_out.data[total] == '\0');
    cordon_task_free(t);
}

static void test_output_past_the_cap_is_drained_and_counted(void **state)
{
    (void)state;
    size_t total = 8 * MIB;
    cordon_task *t = cordon_function_task(flood_both_streams, &total);
    assert_int_equal(cordon_set_limit(t, CORDON_LIMIT_OUTPUT, 1000), 0);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->exit_code, 0); /* the task was never blocked */
    assert_int_equal(r->std_out.len, 1000);
    assert_int_equal(r->std_out.dropped, total - 1000);
    assert_int_equal(r->std_err.len, 1000);
    assert_int_equal(r->std_err.dropped, total - 1000);
    cordon_task_free(t);
}

static void test_output_command_flood_on_both_streams(void **state)
{
    (void)state;
    cordon_task *t = shell("head -c 20971520 /dev/zero & head -c 20971520 /dev/zero >&2; wait");
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->std_out.len, 20 * MIB);
    assert_int_equal(r->std_err.len, 20 * MIB);
    cordon_task_free(t);
}

static int write_binary(cordon_ctx *ctx, void *arg)
{
    (void)ctx;
    (void)arg;
    unsigned char bytes[256];
    for (int i = 0; i < 256; i++)
        bytes[i] = (unsigned char)i;
    fwrite(bytes, 1, sizeof bytes, stdout);
    fwrite("\xff\xfe\x00\xc3\x28", 1, 5, stderr); /* invalid UTF-8 and a NUL */
    return 0;
}

static void test_output_binary_bytes_survive(void **state)
{
    (void)state;
    cordon_task *t = cordon_function_task(write_binary, NULL);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(r->std_out.len, 256);
    for (int i = 0; i < 256; i++)
        assert_int_equal((unsigned char)r->std_out.data[i], i);
    assert_int_equal(r->std_err.len, 5);
    assert_memory_equal(r->std_err.data, "\xff\xfe\x00\xc3\x28", 5);
    cordon_task_free(t);
}

struct seen {
    size_t bytes[4];
};

static void count_chunks(void *user, int stream, const char *data, size_t len)
{
    struct seen *seen = user;
    (void)data;
    assert_true(stream >= 1 && stream <= 3);
    seen->bytes[stream] += len;
}

static void test_output_callback_sees_every_byte_even_past_the_cap(void **state)
{
    (void)state;
    struct seen seen = { { 0 } };
    cordon_task *t = shell("head -c 100000 /dev/zero; echo err >&2; echo log >&3");
    cordon_set_limit(t, CORDON_LIMIT_OUTPUT, 10);
    cordon_set_output_callback(t, count_chunks, &seen);
    const cordon_result *r = run_task(t, 0);
    assert_int_equal(seen.bytes[1], 100000);
    assert_int_equal(seen.bytes[2], 4);
    assert_int_equal(seen.bytes[3], 4);
    assert_int_equal(r->std_out.len + r->std_out.dropped, 100000);
    cordon_task_free(t);
}

static void test_output_grandchild_holding_pipes_does_not_hang_the_parent(void **state)
{
    (void)state;
    /* The background sleeper keeps stdout open after the shell exits; the
     * task ends with the shell and its group is killed. */
    cordon_task *t = shell("sleep 30 & echo started");
    cordon_set_timeout_ms(t, 20000);
    const cordon_result *r = run_task(t, 0);
    assert_string_equal(r->std_out.data, "started\n");
    assert_true(r->usage.wall_us < 10u * 1000 * 1000);
    cordon_task_free(t);
}

/* A stream that ends without a byte reads as the empty string, even in a
 * buffer the collector had already made room in. */
static void test_output_silent_streams_are_empty_strings(void **state)
{
    (void)state;
#if !defined(__SANITIZE_ADDRESS__)
    mallopt(M_PERTURB, 0xa5); /* fresh allocations hold garbage, not zeros */
#endif
    for (int i = 0; i < 3; i++) {
        cordon_task *t = shell("exit 0");
        const cordon_result *r = run_task(t, 0);
        assert_int_equal(r->std_out.len, 0);
        assert_int_equal(r->std_out.data[0], '\0');
        assert_int_equal(r->std_err.data[0], '\0');
        assert_int_equal(r->log_out.data[0], '\0');
        cordon_task_free(t);
    }
#if !defined(__SANITIZE_ADDRESS__)
    mallopt(M_PERTURB, 0);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_output_20_mib_on_both_streams_at_once),
        cmocka_unit_test(test_output_past_the_cap_is_drained_and_counted),
        cmocka_unit_test(test_output_command_flood_on_both_streams),
        cmocka_unit_test(test_output_binary_bytes_survive),
        cmocka_unit_test(test_output_callback_sees_every_byte_even_past_the_cap),
        cmocka_unit_test(test_output_grandchild_holding_pipes_does_not_hang_the_parent),
        cmocka_unit_test(test_output_silent_streams_are_empty_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

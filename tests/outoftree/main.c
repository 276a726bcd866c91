/* Calls a method through the generated typed function of an object the
 * container made, with Coil found through its installed CMake package.
 * Exits 0 when the answers are right. */
#include <stdio.h>

#include <coil/coil.h>

#include "adder.h"

typedef struct adder_impl {
    int64_t bias;   /* a property, to show the object is configured */
} adder_impl;

static int impl_add(void *self, int64_t a, int64_t b, int64_t *result, coil_error **err)
{
    (void)err;
    *result = a + b + ((adder_impl *)self)->bias;
    return 0;
}

static int impl_sum(void *self, const adder_pair *p, int64_t *result, coil_error **err)
{
    return impl_add(self, p->left, p->right, result, err);
}

static const adder_ops impl_ops = { .add = impl_add, .sum = impl_sum };

static const coil_property impl_properties[] = {
    { .name = "bias", .type = COIL_T_INT, .offset = offsetof(adder_impl, bias) },
    COIL_PROPERTIES_END
};

static const coil_implements impl_implements[] = {
    { &adder_interface, &impl_ops },
    COIL_IMPLEMENTS_END
};

static const coil_class impl_class = {
    .abi = COIL_ABI_VERSION, .name = "adder_impl", .size = sizeof(adder_impl),
    .properties = impl_properties, .implements = impl_implements,
};

static int fail(coil_error *err)
{
    fprintf(stderr, "error: %s\n", err ? err->message : "(none)");
    coil_error_free(err);
    return 1;
}

int main(void)
{
    coil_options *opts = coil_options_new();
    coil_options_add_class(opts, &impl_class);
    coil_error *err = NULL;
    coil_context *ctx = coil_load_string("objects:\n"
                                         "  - object: adder\n"
                                         "    class: adder_impl\n"
                                         "    properties: {bias: 1}\n",
                                         "app.yaml", opts, &err);
    coil_options_free(opts);
    if (!ctx)
        return fail(err);
    void *adder = coil_get(ctx, "adder", &adder_interface, &err);
    int64_t sum = 0, psum = 0;
    adder_pair pair = { .left = 20, .right = 21 };
    if (!adder || adder_add(adder, 2, 39, &sum, &err) != 0 ||
        adder_sum(adder, &pair, &psum, &err) != 0) {
        coil_close(ctx);
        return fail(err);
    }
    coil_close(ctx);
    printf("add: %lld, sum: %lld\n", (long long)sum, (long long)psum);
    return sum == 42 && psum == 42 ? 0 : 1;
}

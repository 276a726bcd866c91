/* The dependency graph: cycle detection and creation plans. Both walks are
 * iterative, so a chain of 100,000 refs needs no deep C stack. */
#include <stdlib.h>
#include <string.h>

#include "container/container.h"

typedef struct step {
    coil__rt *rt;
    size_t next;  /* the next edge to follow */
} step;

typedef struct walk {
    step *items;
    size_t count, cap;
} walk;

static bool push(walk *w, coil__rt *rt)
{
    if (w->count == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        step *s = realloc(w->items, cap * sizeof *s);
        if (!s)
            return false;
        w->items = s;
        w->cap = cap;
    }
    w->items[w->count++] = (step){ rt, 0 };
    return true;
}

enum { WHITE = 0, GRAY, BLACK };

static void report_cycle(const walk *w, const coil__rt *to, coil__errors *errs)
{
    size_t from = w->count;
    while (from > 0 && w->items[from - 1].rt != to)
        from--;
    from = from ? from - 1 : 0;
    coil__buf msg;
    coil__buf_init(&msg);
    for (size_t i = from; i < w->count; i++) {
        const coil__def *d = w->items[i].rt->def;
        coil__buf_printf(&msg, "%s (%s:%u:%u) -> ", d->name, d->file, d->line, d->column);
    }
    coil__buf_adds(&msg, to->def->name);
    coil__errors_add(errs, COIL_ECYCLE, to->def->file, to->def->line, to->def->column,
                     "dependency cycle: %s", msg.data ? msg.data : to->def->name);
    coil__buf_free(&msg);
}

void coil__graph_cycles(coil__vec *rts, coil__errors *errs)
{
    walk w = { 0 };
    for (size_t i = 0; i < rts->count; i++)
        ((coil__rt *)rts->items[i])->mark = WHITE;
    for (size_t i = 0; i < rts->count; i++) {
        coil__rt *root = rts->items[i];
        if (root->mark != WHITE)
            continue;
        root->mark = GRAY;
        if (!push(&w, root))
            goto oom;
        while (w.count) {
            step *s = &w.items[w.count - 1];
            if (s->next == s->rt->nedges) {
                s->rt->mark = BLACK;
                w.count--;
                continue;
            }
            coil__rt *t = s->rt->edges[s->next++];
            if (t->mark == GRAY) {
                report_cycle(&w, t, errs);
            } else if (t->mark == WHITE) {
                t->mark = GRAY;
                if (!push(&w, t))
                    goto oom;
            }
        }
    }
    free(w.items);
    return;
oom:
    free(w.items);
    coil__errors_add(errs, COIL_ENOMEM, NULL, 0, 0, "out of memory");
}

static bool exists(coil__rt *rt)
{
    return coil__is_shared(rt) && rt->instance != NULL;
}

int coil__graph_plan(coil__rt **roots, size_t nroots, unsigned epoch, coil__vec *out)
{
    walk w = { 0 };
    for (size_t r = 0; r < nroots; r++) {
        coil__rt *root = roots[r];
        if (root->visit == epoch || exists(root))
            continue;
        root->visit = epoch;
        if (!push(&w, root))
            goto oom;
        while (w.count) {
            step *s = &w.items[w.count - 1];
            if (s->next == s->rt->nedges) {
                if (coil__is_shared(s->rt) && coil__vec_push(out, s->rt))
                    goto oom;
                w.count--;
                continue;
            }
            coil__rt *t = s->rt->edges[s->next++];
            if (t->visit == epoch || exists(t))
                continue;
            t->visit = epoch;
            if (!push(&w, t))
                goto oom;
        }
    }
    free(w.items);
    return COIL_OK;
oom:
    free(w.items);
    return COIL_ENOMEM;
}

/* Module libtally.so: class tally_service (interface tally, tally.yaml).
 * Every call appends "METHOD ID\n" to the journal file with one write() on
 * an O_APPEND descriptor, so the line is in the file once the call returns,
 * even when the node is killed the moment after. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <coil/coil.h>

#include "tally.h"

typedef struct tally_service {
    char *node;      /* property */
    char *journal;   /* property */
    int fd;
    int64_t adds;
} tally_service;

static int note(tally_service *s, const char *method, const char *id, coil_error **err)
{
    char line[512];
    int n = snprintf(line, sizeof line, "%s %s\n", method, id);
    if (n < 0 || (size_t)n >= sizeof line || write(s->fd, line, (size_t)n) != n) {
        *err = coil_error_new(COIL_EIO, "cannot write the journal %s", s->journal);
        return COIL_EIO;
    }
    return 0;
}

static int do_ping(void *self, const char *id, char **result, coil_error **err)
{
    tally_service *s = self;
    int rc = note(s, "ping", id, err);
    if (rc)
        return rc;
    *result = strdup(s->node);
    return *result ? 0 : COIL_ENOMEM;
}

static int do_add(void *self, const char *id, int64_t *result, coil_error **err)
{
    tally_service *s = self;
    int rc = note(s, "add", id, err);
    if (!rc)
        *result = ++s->adds;
    return rc;
}

static const tally_ops ops = { .ping = do_ping, .add = do_add };

static int tally_init(void *self, coil_error **err)
{
    tally_service *s = self;
    s->fd = open(s->journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        *err = coil_error_new(COIL_EIO, "cannot open %s: %s", s->journal, strerror(errno));
        return COIL_EIO;
    }
    return 0;
}

static void tally_destroy(void *self)
{
    close(((tally_service *)self)->fd);
}

static const coil_implements implements[] = { { &tally_interface, &ops }, COIL_IMPLEMENTS_END };

static const coil_property properties[] = {
    { "node", COIL_T_STRING, offsetof(tally_service, node), .flags = COIL_REQUIRED },
    { "journal", COIL_T_STRING, offsetof(tally_service, journal), .flags = COIL_REQUIRED },
    COIL_PROPERTIES_END
};

static const coil_class tally_class = {
    .abi = COIL_ABI_VERSION,
    .name = "tally_service",
    .size = sizeof(tally_service),
    .properties = properties,
    .implements = implements,
    .init = tally_init,
    .destroy = tally_destroy,
};

COIL_MODULE("tally", "1.0", &tally_class);

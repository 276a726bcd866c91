/* The birthday module: one class, birthday_service, which implements the
 * `birthday` interface (birthday.yaml). A context file loads it with
 * `modules: [libbirthday.so]`; programs call it through the generated
 * typed functions (birthday.h) and never see its struct. */
#define _POSIX_C_SOURCE 200809L /* stpcpy */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <coil/coil.h>

#include "birthday.h"

typedef struct birthday_service {
    int64_t verses;       /* property: lines in the song */
    char *greeting;       /* property: how every line starts */
} birthday_service;

/* One line of the song, allocated: "GREETING to you!" or, for `name`,
 * "GREETING Dear NAME!". */
static char *song_line(const char *greeting, const char *name)
{
    const char *to = name ? "Dear " : "to you";
    if (!name)
        name = "";
    /* greeting, ' ', to, name, '!' and the NUL */
    char *line = malloc(strlen(greeting) + strlen(to) + strlen(name) + 3);
    if (line)
        strcpy(stpcpy(stpcpy(stpcpy(stpcpy(line, greeting), " "), to), name), "!");
    return line;
}

/* Reports a failure: *err is set only when the caller asked for errors. */
static int fail(coil_error **err, coil_code code, const char *message)
{
    if (err)
        *err = coil_error_new(code, "%s", message);
    return code;
}

/* The song, line by line; the last line but one names the birthday child. */
static int service_happy_birthday(void *self, const char *name, birthday_list_string *result,
                                  coil_error **err)
{
    const birthday_service *s = self;
    if (!*name)
        return fail(err, COIL_EVALUE, "happy_birthday: the name is empty");
    birthday_list_string song = { calloc((size_t)s->verses, sizeof(char *)), 0 };
    if (!song.items)
        return fail(err, COIL_ENOMEM, "out of memory");
    for (int64_t i = 0; i < s->verses; i++) {
        char *line = song_line(s->greeting, i == s->verses - 2 ? name : NULL);
        if (!line) {
            birthday_list_string_free(&song);  /* on error the caller frees nothing */
            return fail(err, COIL_ENOMEM, "out of memory");
        }
        song.items[song.count++] = line;
    }
    *result = song;
    return 0;
}

/* One-way: the caller does not wait, so the service only logs the wish. */
static int service_wish(void *self, const char *to, const char *text, coil_error **err)
{
    (void)self;
    (void)err;
    printf("(a wish for %s: %s)\n", to, text);
    fflush(stdout);
    return 0;
}

static const birthday_ops service_ops = {
    .happy_birthday = service_happy_birthday,
    .wish = service_wish,
};

static const coil_implements service_implements[] = {
    { &birthday_interface, &service_ops },
    COIL_IMPLEMENTS_END
};

static const coil_property service_properties[] = {
    { "verses", COIL_T_INT, offsetof(birthday_service, verses),
      .check = COIL_RANGE(2, 12), .default_value = "4",
      .doc = "lines in the song; the last but one names the birthday child" },
    { "greeting", COIL_T_STRING, offsetof(birthday_service, greeting),
      .default_value = "Happy Birthday", .doc = "how every line starts" },
    COIL_PROPERTIES_END
};

static const coil_class birthday_service_class = {
    .abi = COIL_ABI_VERSION,
    .name = "birthday_service",
    .doc = "Sings Happy Birthday.",
    .size = sizeof(birthday_service),
    .properties = service_properties,
    .implements = service_implements,
    /* happy_birthday only reads the properties, and wish only prints (stdio
     * locks its streams), so an exporter may run many calls at once. */
    .flags = COIL_CLASS_THREAD_SAFE,
};

COIL_MODULE("birthday", "1.0", &birthday_service_class);

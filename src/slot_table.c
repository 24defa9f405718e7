/*
 * slot_table.c: growing the open-addressing index (see slot_table.h).
 */
#include "slot_table.h"

#include "portcullis/error.h"

#include <stdlib.h>

int
pc_slot_table_reserve(pc_slot_table_t *t, size_t count, size_t first_cap)
{
    size_t cap = t->cap != 0 ? t->cap * 2 : first_cap;
    pc_slot_table_t grown;
    size_t i;

    if (t->cap != 0 && (count + 1) * 2 <= t->cap) {
        return 0;
    }
    if (cap > SIZE_MAX / sizeof(pc_slot_t)) {
        return PC_E_NOMEM;
    }
    grown.cap = cap;
    grown.slots = calloc(cap, sizeof(pc_slot_t));
    if (grown.slots == NULL) {
        return PC_E_NOMEM;
    }
    for (i = 0; i < t->cap; i++) {
        size_t j;

        if (t->slots[i].ref == 0) {
            continue;
        }
        j = pc_slot_first(&grown, t->slots[i].hash);
        while (grown.slots[j].ref != 0) {
            j = pc_slot_next(&grown, j);
        }
        grown.slots[j] = t->slots[i];
    }
    free(t->slots);
    *t = grown;
    return 0;
}

void
pc_slot_table_free(pc_slot_table_t *t)
{
    free(t->slots);
    t->slots = NULL;
    t->cap = 0;
}

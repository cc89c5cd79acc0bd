/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* options: strict parsing of a{sv} option dictionaries.
 *
 * Every key must be known and of the declared type; anything else is
 * LB_ERROR_INVALID_ARGS with a message naming the key and what is accepted.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *name;
  const char *type; /* a GVariant type string */
  GVariant **value; /* set (full reference) when the key is present */
} LbOptionSpec;

/* @specs ends with a { NULL } entry. */
gboolean lb_options_parse (GVariant *options, const LbOptionSpec *specs, GError **error);

G_END_DECLS

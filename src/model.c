/*-------------------------------------------------------------------------
 *
 * src/model.c
 *		Validation of XGBoost model files, and their canonical form.
 *
 * Everything XGBoost's loader and predictor trust is checked here before
 * any byte reaches XGBoost: array lengths, child and parent indices, the
 * right = left + 1 layout its predictor assumes, reachability (no node twice,
 * no cycle), split indices, finite thresholds and leaf values, tree ids and
 * tree_info.  Nodes that pruning deleted stay in the arrays, unreachable;
 * they are counted against num_deleted as XGBoost does, and otherwise left
 * alone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "lib/stringinfo.h"
#include "miscadmin.h"

#include "feature.h"
#include "model.h"
#include "modeldoc.h"

/* XGBoost's marker of a deleted node, once unpacked into split_indices */
#define DELETED_SPLIT_INDEX 0x7FFFFFFF

/* durpred.max_model_size, in kilobytes */
int			durpred_max_model_size = DURPRED_DEFAULT_MAX_MODEL_SIZE;

/* Bounds on what a model may hold. */
#define MAX_TREES 1000000
#define MAX_NODES_PER_TREE (1 << 24)

/*
 * Nodes per byte of model file.  The validated trees take 33 bytes per node,
 * their canonical form as much again, and XGBoost several times that, so
 * the memory a load takes follows the number of nodes.  XGBoost's own files
 * take more than 30 bytes per node (UBJSON 34, JSON more); hand-packed ones,
 * with one-byte typed arrays, can take 11.  A file must spend at least
 * MIN_BYTES_PER_NODE on each node, beyond the first NODES_WITHOUT_LIMIT.
 */
#define MIN_BYTES_PER_NODE 16
#define NODES_WITHOUT_LIMIT 4096

/*
 * A tree's arrays are one allocation; those of small trees are carved from
 * blocks of NODE_BLOCK_SIZE, so that palloc's rounding of small chunks to a
 * power of two (up to twice the size) is not paid once per tree.
 */
#define NODE_BLOCK_SIZE (128 * 1024)
#define NODE_BLOCK_CARVE_MAX (8 * 1024)

typedef struct ObjectiveDef
{
	const char *name;
	OutputTransform transform;
} ObjectiveDef;

/* Objectives whose output transform the compiled evaluator implements. */
static const ObjectiveDef objectives[] = {
	{"reg:squarederror", TRANSFORM_IDENTITY},
	{"reg:linear", TRANSFORM_IDENTITY},
	{"reg:pseudohubererror", TRANSFORM_IDENTITY},
	{"reg:absoluteerror", TRANSFORM_IDENTITY},
	{"reg:squaredlogerror", TRANSFORM_IDENTITY},
	{"reg:gamma", TRANSFORM_EXP},
	{"reg:tweedie", TRANSFORM_EXP},
	{"count:poisson", TRANSFORM_EXP},
};

static void WriteStringObject(StringInfo out, const DocValue *object);

typedef struct ModelReader
{
	int			errcode;
	const char *where;			/* context for messages: "tree 3", ... */
	size_t		len;			/* bytes of the model file */
	int64		nodes;			/* nodes of the trees read so far */
	char	   *block;			/* where small trees' arrays are carved */
	Size		block_free;
} ModelReader;

/*
 * Invalid
 *		Raises the reader's error code for a model that is not valid.
 */
static void
pg_attribute_printf(2, 3)
pg_attribute_noreturn()
Invalid(ModelReader *r, const char *fmt,...)
{
	char		msg[512];
	va_list		args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	if (r->where)
		ereport(ERROR,
				(errcode(r->errcode),
				 errmsg("invalid XGBoost model: %s: %s", r->where, msg)));
	ereport(ERROR,
			(errcode(r->errcode),
			 errmsg("invalid XGBoost model: %s", msg)));
}

/*
 * Unsupported
 *		Raises 0A000 for a valid model of a kind durpred does not serve.
 */
static void
pg_attribute_printf(1, 2)
pg_attribute_noreturn()
Unsupported(const char *fmt,...)
{
	char		msg[512];
	va_list		args;

	va_start(args, fmt);
	vsnprintf(msg, sizeof(msg), fmt, args);
	va_end(args);
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("unsupported XGBoost model: %s", msg)));
}

/*
 * Member
 *		A required member of a given kind, read into *out.
 */
static const DocValue *
Member(ModelReader *r, const DocValue *object, const char *key, DocKind kind,
	   DocValue *out)
{
	const DocValue *v = DocGet(object, key, out);

	if (v == NULL)
		Invalid(r, "\"%s\" is missing", key);
	if (v->kind != kind)
		Invalid(r, "\"%s\" is %s", key, DocKindName(v));
	return v;
}

/*
 * ParseIntText
 *		A whole number written as a string, as XGBoost's parameters are.
 */
static int64
ParseIntText(ModelReader *r, const DocValue *object, const char *key,
			 int64 min, int64 max)
{
	DocValue	value;
	char	   *text = DocStringDup(Member(r, object, key, DOC_STRING, &value));
	char	   *end;
	int64		n;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno == ERANGE || n < min || n > max)
		Invalid(r, "\"%s\" must be a whole number between " INT64_FORMAT
				" and " INT64_FORMAT, key, min, max);
	return n;
}

/*
 * ParseBaseScore
 *		base_score: a decimal string, "5E-1", or in the bracketed form of
 *		newer XGBoost releases, "[5E-1]".  Keeps the text without brackets
 *		for XGBoost and the value as strtof reads it.
 */
static void
ParseBaseScore(ModelReader *r, const DocValue *param, ModelDef *model)
{
	DocValue	value;
	char	   *text = DocStringDup(Member(r, param, "base_score", DOC_STRING,
										   &value));
	size_t		len = strlen(text);
	const char *p;
	char	   *end;

	if (len >= 2 && text[0] == '[' && text[len - 1] == ']')
	{
		text[len - 1] = '\0';
		text++;
		if (strchr(text, ',') != NULL)
			Unsupported("base_score has several values (a multi-output model)");
	}
	for (p = text; *p; p++)
	{
		if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
			  *p == '+' || *p == 'e' || *p == 'E'))
			Invalid(r, "base_score \"%s\" is not a decimal number",
					FeatureNameForMessage(text, strlen(text)));
	}
	errno = 0;
	model->base_score = strtof(text, &end);
	if (*text == '\0' || *end != '\0' || !isfinite(model->base_score))
		Invalid(r, "base_score \"%s\" is not a finite number",
				FeatureNameForMessage(text, strlen(text)));
	model->base_score_text = text;
}

/*
 * ReadObjective
 *		The objective: a name on the allowlist, and parameter objects whose
 *		values are strings (passed on to XGBoost as they are, in the
 *		canonical UBJSON kept in the model).
 */
static void
ReadObjective(ModelReader *r, const DocValue *objective, ModelDef *model)
{
	DocValue	name_value;
	const DocValue *name = Member(r, objective, "name", DOC_STRING, &name_value);
	DocIter		it;
	DocValue	group;
	const char *key;
	int32		keylen;
	int			k;

	model->objective = DocStringDup(name);
	for (k = 0; k < (int) lengthof(objectives); k++)
	{
		if (strcmp(objectives[k].name, model->objective) == 0)
			break;
	}
	if (k == (int) lengthof(objectives))
		Unsupported("objective \"%s\" is not a regression objective durpred implements",
					FeatureNameForMessage(name->u.s, name->len));
	model->transform = objectives[k].transform;

	DocIterInit(&it, objective);
	while (DocIterNext(&it, &group, &key, &keylen))
	{
		DocIter		params;
		DocValue	param;
		const char *pkey;
		int32		pkeylen;

		if (keylen == 4 && memcmp(key, "name", 4) == 0)
			continue;
		if (group.kind != DOC_OBJECT)
			Invalid(r, "objective parameter group \"%s\" is %s",
					FeatureNameForMessage(key, keylen), DocKindName(&group));
		DocIterInit(&params, &group);
		while (DocIterNext(&params, &param, &pkey, &pkeylen))
		{
			if (param.kind != DOC_STRING)
				Invalid(r, "objective parameter \"%s\" is not a string",
						FeatureNameForMessage(pkey, pkeylen));
		}
	}

	/* the document is freed after parsing: keep the objective as written */
	initStringInfo(&model->objective_ubjson);
	WriteStringObject(&model->objective_ubjson, objective);
}

/*
 * ReadFeatures
 *		Binds the model's columns to durpred's features by the names stored
 *		in the model; a model without names must have the 25 features in
 *		durpred's order.  Categorical feature types are refused.
 */
static void
ReadFeatures(ModelReader *r, const DocValue *learner, ModelDef *model)
{
	DocValue	names_value;
	DocValue	types_value;
	const DocValue *names = DocGet(learner, "feature_names", &names_value);
	const DocValue *types = DocGet(learner, "feature_types", &types_value);
	DocIter		it;
	int			i;

	if (types != NULL)
	{
		DocValue	tv;
		const DocValue *t = &tv;

		if (types->kind != DOC_ARRAY)
			Invalid(r, "\"feature_types\" is %s", DocKindName(types));
		DocIterInit(&it, types);
		for (i = 0; DocIterNext(&it, &tv, NULL, NULL); i++)
		{
			if (t->kind != DOC_STRING)
				Invalid(r, "feature type %d is %s", i, DocKindName(t));
			if (DocStringEquals(t, "c"))
				Unsupported("feature %d is categorical", i);
			if (!DocStringEquals(t, "float") && !DocStringEquals(t, "int") &&
				!DocStringEquals(t, "i") && !DocStringEquals(t, "q"))
				Invalid(r, "feature type \"%s\" is unknown",
						FeatureNameForMessage(t->u.s, t->len));
		}
		if (types->len != 0 && types->len != model->num_feature)
			Invalid(r, "%d feature types for %d features", types->len,
					model->num_feature);
	}

	model->binding = palloc(sizeof(int) * model->num_feature);
	if (names == NULL || (names->kind == DOC_ARRAY && names->len == 0))
	{
		model->named = false;
		if (model->num_feature != DURPRED_NUM_FEATURES)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model without feature names has %d features, not %d",
							model->num_feature, DURPRED_NUM_FEATURES),
					 errdetail("A model that stores no feature names is taken to have the %d features of durpred.features, in that order.",
							   DURPRED_NUM_FEATURES),
					 errhint("Save the model with feature names; any subset of the features, in any order, can then be bound by name.")));
		for (i = 0; i < model->num_feature; i++)
			model->binding[i] = i;
		return;
	}

	if (names->kind != DOC_ARRAY)
		Invalid(r, "\"feature_names\" is %s", DocKindName(names));
	if (names->len != model->num_feature)
		Invalid(r, "%d feature names for %d features", names->len,
				model->num_feature);
	model->named = true;
	DocIterInit(&it, names);
	for (i = 0; i < model->num_feature; i++)
	{
		DocValue	nv;
		const DocValue *n = &nv;
		int			f,
					j;

		if (!DocIterNext(&it, &nv, NULL, NULL))
			elog(ERROR, "feature_names ended early");

		if (n->kind != DOC_STRING)
			Invalid(r, "feature name %d is %s", i, DocKindName(n));
		f = FeatureIndex(n->u.s, n->len);
		if (f < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("model uses unknown feature \"%s\"",
							FeatureNameForMessage(n->u.s, n->len)),
					 errdetail("The model's inputs are bound by name to the features of durpred.features.")));
		for (j = 0; j < i; j++)
		{
			if (model->binding[j] == f)
				Invalid(r, "feature \"%s\" is named twice", DurpredFeatures[f].name);
		}
		model->binding[i] = f;
	}
}

/*
 * IntItem
 *		An element of an integer array: a 32-bit integer, or a boolean as 0
 *		or 1.
 */
static int32
IntItem(ModelReader *r, const DocValue *v, const char *key, int32 i)
{
	if (v->kind == DOC_INT && v->u.i >= PG_INT32_MIN && v->u.i <= PG_INT32_MAX)
		return (int32) v->u.i;
	if (v->kind == DOC_FALSE || v->kind == DOC_TRUE)
		return (v->kind == DOC_TRUE);
	Invalid(r, "\"%s\"[%d] is not a 32-bit integer", key, i);
}

/*
 * NodeArray
 *		A tree's per-node array, of num_nodes values; NULL when absent and
 *		not required.
 */
static const DocValue *
NodeArray(ModelReader *r, const DocValue *tree, const char *key, int32 n,
		  bool required, DocValue *out)
{
	const DocValue *a = required ? Member(r, tree, key, DOC_ARRAY, out)
		: DocGet(tree, key, out);

	if (a == NULL)
		return NULL;
	if (a->kind != DOC_ARRAY)
		Invalid(r, "\"%s\" is %s", key, DocKindName(a));
	if (a->len != n)
		Invalid(r, "\"%s\" has %d entries for %d nodes", key, a->len, n);
	return a;
}

/*
 * IntArray / FloatArray
 *		Reads a tree's per-node array into out[num_nodes] (typed UBJSON
 *		arrays and JSON arrays read alike).
 */
static void
IntArray(ModelReader *r, const DocValue *tree, const char *key, int32 n,
		 int32 *out)
{
	DocValue	array;
	DocValue	item;
	DocIter		it;
	int32		i;

	DocIterInit(&it, NodeArray(r, tree, key, n, true, &array));
	for (i = 0; DocIterNext(&it, &item, NULL, NULL); i++)
		out[i] = IntItem(r, &item, key, i);
}

static void
FloatArray(ModelReader *r, const DocValue *tree, const char *key, int32 n,
		   float *out)
{
	DocValue	array;
	DocValue	item;
	DocIter		it;
	int32		i;

	DocIterInit(&it, NodeArray(r, tree, key, n, true, &array));
	for (i = 0; DocIterNext(&it, &item, NULL, NULL); i++)
	{
		if (item.kind == DOC_FLOAT)
			out[i] = (float) item.u.f;
		else if (item.kind == DOC_INT)
			out[i] = (float) item.u.i;
		else
			Invalid(r, "\"%s\"[%d] is %s", key, i, DocKindName(&item));
	}
}

/*
 * CheckNoCategories
 *		split_type all numerical, and the categories arrays empty.
 */
static void
CheckNoCategories(ModelReader *r, const DocValue *tree, int32 n)
{
	static const char *const category_keys[] = {
		"categories", "categories_nodes", "categories_segments", "categories_sizes"
	};
	DocValue	value;
	DocValue	item;
	DocIter		it;
	const DocValue *split_type;
	int32		i;
	int			k;

	split_type = NodeArray(r, tree, "split_type", n, false, &value);
	if (split_type != NULL)
	{
		/* all integers first, then all numerical */
		DocIterInit(&it, split_type);
		for (i = 0; DocIterNext(&it, &item, NULL, NULL); i++)
			(void) IntItem(r, &item, "split_type", i);
		DocIterInit(&it, split_type);
		for (i = 0; DocIterNext(&it, &item, NULL, NULL); i++)
		{
			if (IntItem(r, &item, "split_type", i) != 0)
				Unsupported("%s has categorical splits", r->where);
		}
	}
	for (k = 0; k < (int) lengthof(category_keys); k++)
	{
		const DocValue *v = DocGet(tree, category_keys[k], &value);

		if (v != NULL && (v->kind != DOC_ARRAY || v->len != 0))
			Unsupported("%s has categorical splits", r->where);
	}
}

/*
 * CountNodes
 *		Adds a tree's nodes to the model's, within the limit of nodes per
 *		byte of the file (see MIN_BYTES_PER_NODE).
 */
static void
CountNodes(ModelReader *r, int32 n)
{
	r->nodes += n;
	if (r->nodes > NODES_WITHOUT_LIMIT &&
		r->nodes > (int64) (r->len / MIN_BYTES_PER_NODE))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model has too many nodes for its size: at least " INT64_FORMAT " in %zu bytes",
						r->nodes, r->len),
				 errdetail("A model file must take at least %d bytes per node beyond the first %d; XGBoost's own files take more than 30.",
						   MIN_BYTES_PER_NODE, NODES_WITHOUT_LIMIT)));
}

/*
 * TreeArrays
 *		Allocates a tree's arrays of n nodes, together.
 */
static void
TreeArrays(ModelReader *r, TreeDef *t, int32 n)
{
	Size		size = (Size) n * (8 * sizeof(int32) + 1);
	char	   *p;

	size = MAXALIGN(Max(size, 1));
	if (size > NODE_BLOCK_CARVE_MAX)
		p = MemoryContextAllocHuge(CurrentMemoryContext, size);
	else
	{
		if (size > r->block_free)
		{
			r->block = palloc(NODE_BLOCK_SIZE);
			r->block_free = NODE_BLOCK_SIZE;
		}
		p = r->block;
		r->block += size;
		r->block_free -= size;
	}
	t->left = (int32 *) p;
	t->right = t->left + n;
	t->parent = t->right + n;
	t->split_index = t->parent + n;
	t->split_condition = (float *) (t->split_index + n);
	t->base_weight = t->split_condition + n;
	t->loss_change = t->base_weight + n;
	t->sum_hessian = t->loss_change + n;
	t->default_left = (uint8 *) (t->sum_hessian + n);
}

/*
 * ReadTree
 *		Reads and checks one tree.
 *
 * The walk from the root visits each reachable node once; a node reached a
 * second time (two parents, a self-loop or a cycle) is refused, which also
 * bounds the evaluator's walk.
 */
static void
ReadTree(ModelReader *r, const DocValue *tree, int position, ModelDef *model,
		 TreeDef *t)
{
	DocValue	param_value;
	DocValue	value;
	DocValue	item;
	DocIter		it;
	const DocValue *param;
	int32		n;
	int32		i;
	int32		deleted = 0;
	int32	   *stack;			/* (node, depth) pairs */
	int32		stack_cap;
	bool	   *seen;
	int32		top = 0;

	if (tree->kind != DOC_OBJECT)
		Invalid(r, "tree %d is %s", position, DocKindName(tree));
	if (Member(r, tree, "id", DOC_INT, &value)->u.i != position)
		Invalid(r, "its \"id\" is " INT64_FORMAT ", not its position %d",
				value.u.i, position);

	param = Member(r, tree, "tree_param", DOC_OBJECT, &param_value);
	n = (int32) ParseIntText(r, param, "num_nodes", 1, MAX_NODES_PER_TREE);
	t->num_nodes = n;
	t->num_deleted = (int32) ParseIntText(r, param, "num_deleted", 0, n);
	if (ParseIntText(r, param, "num_feature", 0, PG_INT32_MAX) != model->num_feature)
		Invalid(r, "\"num_feature\" differs from the model's");
	if (DocGet(param, "size_leaf_vector", &value) != NULL &&
		ParseIntText(r, param, "size_leaf_vector", 0, PG_INT32_MAX) > 1)
		Unsupported("%s has vector leaves (a multi-output model)", r->where);

	CheckNoCategories(r, tree, n);
	CountNodes(r, n);
	TreeArrays(r, t, n);
	IntArray(r, tree, "left_children", n, t->left);
	IntArray(r, tree, "right_children", n, t->right);
	IntArray(r, tree, "parents", n, t->parent);
	IntArray(r, tree, "split_indices", n, t->split_index);
	FloatArray(r, tree, "split_conditions", n, t->split_condition);
	FloatArray(r, tree, "base_weights", n, t->base_weight);
	FloatArray(r, tree, "loss_changes", n, t->loss_change);
	FloatArray(r, tree, "sum_hessian", n, t->sum_hessian);
	/* all integers first, then all 0 or 1 */
	DocIterInit(&it, NodeArray(r, tree, "default_left", n, true, &value));
	for (i = 0; DocIterNext(&it, &item, NULL, NULL); i++)
		(void) IntItem(r, &item, "default_left", i);
	DocIterInit(&it, &value);
	for (i = 0; DocIterNext(&it, &item, NULL, NULL); i++)
	{
		int32		flag = IntItem(r, &item, "default_left", i);

		if (flag != 0 && flag != 1)
			Invalid(r, "\"default_left\"[%d] is neither 0 nor 1", i);
		t->default_left[i] = (uint8) flag;
	}

	/* per-node checks that hold for every node, reachable or not */
	for (i = 0; i < n; i++)
	{
		int32		l = t->left[i];
		int32		rt = t->right[i];

		if (l == -1 || rt == -1)
		{
			if (l != -1 || rt != -1)
				Invalid(r, "node %d has only one child", i);
		}
		else if (l <= 0 || l >= n - 1 || rt != l + 1)
			Invalid(r, "node %d has children %d and %d (they must be in range, the right one next to the left one)",
					i, l, rt);
		if (i > 0 && (t->parent[i] < 0 || t->parent[i] >= n))
			Invalid(r, "node %d has parent %d, out of range", i, t->parent[i]);
		if (t->split_index[i] < 0)
			Invalid(r, "node %d has split index %d", i, t->split_index[i]);
		if (i > 0 && t->split_index[i] == DELETED_SPLIT_INDEX && t->default_left[i])
			deleted++;
	}
	if (deleted != t->num_deleted)
		Invalid(r, "%d deleted nodes, but num_deleted is %d", deleted,
				t->num_deleted);

	/*
	 * The walk from the root.  The nodes pushed are distinct and form a
	 * binary tree: after k splits were popped, 2k + 1 nodes were pushed (so
	 * k <= (n - 1) / 2) and at most k + 1 remain, which bounds the stack.
	 */
	seen = palloc0(sizeof(bool) * n);
	stack_cap = n / 2 + 1;
	stack = palloc(sizeof(int32) * 2 * stack_cap);
	stack[0] = 0;
	stack[1] = 0;
	top = 1;
	seen[0] = true;
	t->depth = 0;
	t->reachable = 0;
	while (top > 0)
	{
		int32		node = stack[2 * (top - 1)];
		int32		d = stack[2 * (top - 1) + 1];

		top--;
		t->reachable++;
		t->depth = Max(t->depth, d);
		if (!isfinite(t->split_condition[node]))
			Invalid(r, "node %d has a %s that is not finite", node,
					t->left[node] == -1 ? "leaf value" : "split threshold");
		if (t->left[node] == -1)
			continue;
		if (node > 0 && t->split_index[node] == DELETED_SPLIT_INDEX &&
			t->default_left[node])
			Invalid(r, "node %d is reachable but marked deleted", node);
		if (t->split_index[node] >= model->num_feature)
			Invalid(r, "node %d splits on feature %d of %d", node,
					t->split_index[node], model->num_feature);
		for (i = 0; i < 2; i++)
		{
			int32		child = t->left[node] + i;

			if (seen[child])
				Invalid(r, "node %d is reached twice (a cycle or a shared child)",
						child);
			seen[child] = true;
		}
		if (top + 2 > stack_cap)
			elog(ERROR, "tree walk deeper than its nodes allow");
		for (i = 0; i < 2; i++)
		{
			stack[2 * top] = t->left[node] + i;
			stack[2 * top + 1] = d + 1;
			top++;
		}
	}
	pfree(seen);
	pfree(stack);
}

/*
 * CheckModelSize
 *		Refuses model bytes larger than durpred.max_model_size.
 */
void
CheckModelSize(Size len)
{
	if (len > (Size) durpred_max_model_size * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model of %zu bytes is larger than durpred.max_model_size (%d kB)",
						len, durpred_max_model_size)));
}

/*
 * ModelParse
 *		Parses and validates an XGBoost model saved by save_model, as JSON or
 *		UBJSON.
 *
 * The parsed document is freed before returning: the model keeps only its
 * own arrays, and the objective as canonical UBJSON.
 */
ModelDef *
ModelParse(const char *data, size_t len, int invalid_errcode)
{
	ModelReader r = {invalid_errcode, NULL, len, 0, NULL, 0};
	ModelDef   *model = palloc0(sizeof(ModelDef));
	Doc		   *parsed;
	const DocValue *doc;
	DocValue	learner_value,
				param_value,
				version_value,
				objective_value,
				attributes_value,
				booster_value,
				bmodel_value,
				gbparam_value,
				trees_value,
				tree_info_value,
				name_value,
				value;
	const DocValue *learner;
	const DocValue *param;
	const DocValue *version;
	const DocValue *booster;
	const DocValue *bmodel;
	const DocValue *gbparam;
	const DocValue *trees;
	const DocValue *tree_info;
	const DocValue *attributes;
	const DocValue *booster_name;
	DocIter		it;
	int			i;

	parsed = DocParse(data, len, ERRCODE_INVALID_BINARY_REPRESENTATION);
	model->is_ubjson = parsed->is_ubjson;
	doc = &parsed->root;

	version = Member(&r, doc, "version", DOC_ARRAY, &version_value);
	if (version->len != 3)
		Invalid(&r, "\"version\" must have three numbers");
	DocIterInit(&it, version);
	for (i = 0; DocIterNext(&it, &value, NULL, NULL); i++)
	{
		if (value.kind != DOC_INT || value.u.i < 0)
			Invalid(&r, "\"version\" must have three whole numbers");
		model->version[i] = value.u.i;
	}

	learner = Member(&r, doc, "learner", DOC_OBJECT, &learner_value);

	/* learner_model_param: one regression output */
	param = Member(&r, learner, "learner_model_param", DOC_OBJECT, &param_value);
	model->num_feature = (int) ParseIntText(&r, param, "num_feature", 1, 1000000);
	if (ParseIntText(&r, param, "num_class", 0, PG_INT32_MAX) > 1)
		Unsupported("it is a multi-class classifier");
	if (DocGet(param, "num_target", &value) != NULL &&
		ParseIntText(&r, param, "num_target", 0, PG_INT32_MAX) > 1)
		Unsupported("it has several targets (a multi-output model)");
	ParseBaseScore(&r, param, model);
	if (DocGet(param, "boost_from_average", &value) != NULL)
		model->boost_from_average =
			DocStringDup(Member(&r, param, "boost_from_average", DOC_STRING,
								&value));
	else
		model->boost_from_average = "1";

	ReadObjective(&r, Member(&r, learner, "objective", DOC_OBJECT,
							 &objective_value), model);

	attributes = DocGet(learner, "attributes", &attributes_value);
	model->best_iteration = -1;
	if (attributes != NULL)
	{
		const DocValue *best;

		if (attributes->kind != DOC_OBJECT)
			Invalid(&r, "\"attributes\" is %s", DocKindName(attributes));
		best = DocGet(attributes, "best_iteration", &value);
		if (best != NULL && best->kind == DOC_STRING)
		{
			char	   *text = DocStringDup(best);
			char	   *end;
			long		v = strtol(text, &end, 10);

			if (*text != '\0' && *end == '\0' && v >= 0 && v < PG_INT32_MAX)
				model->best_iteration = (int) v;
		}
	}

	/* the booster: gbtree only */
	booster = Member(&r, learner, "gradient_booster", DOC_OBJECT, &booster_value);
	booster_name = Member(&r, booster, "name", DOC_STRING, &name_value);
	if (DocStringEquals(booster_name, "dart"))
		Unsupported("DART boosters are not supported (only gbtree)");
	if (DocStringEquals(booster_name, "gblinear"))
		Unsupported("linear boosters are not supported (only gbtree)");
	if (!DocStringEquals(booster_name, "gbtree"))
		Unsupported("booster \"%s\" is not supported (only gbtree)",
					FeatureNameForMessage(booster_name->u.s, booster_name->len));

	ReadFeatures(&r, learner, model);

	bmodel = Member(&r, booster, "model", DOC_OBJECT, &bmodel_value);
	gbparam = Member(&r, bmodel, "gbtree_model_param", DOC_OBJECT, &gbparam_value);
	model->num_trees = (int) ParseIntText(&r, gbparam, "num_trees", 0, MAX_TREES);
	model->num_parallel_tree =
		(int) ParseIntText(&r, gbparam, "num_parallel_tree", 1, MAX_TREES);
	if (DocGet(gbparam, "size_leaf_vector", &value) != NULL &&
		ParseIntText(&r, gbparam, "size_leaf_vector", 0, PG_INT32_MAX) > 1)
		Unsupported("it has vector leaves (a multi-output model)");

	trees = Member(&r, bmodel, "trees", DOC_ARRAY, &trees_value);
	if (trees->len != model->num_trees)
		Invalid(&r, "%d trees, but num_trees is %d", trees->len, model->num_trees);
	tree_info = Member(&r, bmodel, "tree_info", DOC_ARRAY, &tree_info_value);
	if (tree_info->len != model->num_trees)
		Invalid(&r, "tree_info has %d entries for %d trees", tree_info->len,
				model->num_trees);
	DocIterInit(&it, tree_info);
	for (i = 0; DocIterNext(&it, &value, NULL, NULL); i++)
	{
		if (value.kind != DOC_INT)
			Invalid(&r, "tree_info[%d] is %s", i, DocKindName(&value));
		if (value.u.i != 0)
			Unsupported("tree %d belongs to output group " INT64_FORMAT
						" (a multi-output model)", i, value.u.i);
	}

	model->trees = palloc0(sizeof(TreeDef) * Max(model->num_trees, 1));
	DocIterInit(&it, trees);
	for (i = 0; DocIterNext(&it, &value, NULL, NULL); i++)
	{
		char		where[32];

		CHECK_FOR_INTERRUPTS();
		snprintf(where, sizeof(where), "tree %d", i);
		r.where = where;
		ReadTree(&r, &value, i, model, &model->trees[i]);
		model->total_nodes += model->trees[i].reachable;
		model->max_depth = Max(model->max_depth, model->trees[i].depth);
	}
	r.where = NULL;

	DocFree(parsed);
	return model;
}

/*
 * WriteStringObject
 *		Writes an object whose values are strings, or objects of strings
 *		(the objective), as it was read.
 */
static void
WriteStringObject(StringInfo out, const DocValue *object)
{
	DocIter		it;
	DocValue	value;
	const char *key;
	int32		keylen;

	UbjBeginObject(out);
	DocIterInit(&it, object);
	while (DocIterNext(&it, &value, &key, &keylen))
	{
		char	   *k = pnstrdup(key, keylen);

		UbjKey(out, k);
		if (value.kind == DOC_OBJECT)
			WriteStringObject(out, &value);
		else
			UbjString(out, value.u.s, value.len);
		pfree(k);
	}
	UbjEndObject(out);
}

/*
 * WriteParam
 *		"key": "<number>", as XGBoost stores its parameters.
 */
static void
WriteParam(StringInfo out, const char *key, int64 value)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), INT64_FORMAT, value);
	UbjKey(out, key);
	UbjString(out, buf, strlen(buf));
}

/*
 * WriteTree
 *		One tree in XGBoost 1.7's typed layout, without categorical fields.
 */
static void
WriteTree(StringInfo out, const TreeDef *t, int id, int num_feature)
{
	int32		n = t->num_nodes;

	UbjBeginObject(out);
	UbjKey(out, "base_weights");
	UbjFloat32Array(out, t->base_weight, n);
	UbjKey(out, "default_left");
	UbjUInt8Array(out, t->default_left, n);
	UbjKey(out, "id");
	UbjInt64(out, id);
	UbjKey(out, "left_children");
	UbjInt32Array(out, t->left, n);
	UbjKey(out, "loss_changes");
	UbjFloat32Array(out, t->loss_change, n);
	UbjKey(out, "parents");
	UbjInt32Array(out, t->parent, n);
	UbjKey(out, "right_children");
	UbjInt32Array(out, t->right, n);
	UbjKey(out, "split_conditions");
	UbjFloat32Array(out, t->split_condition, n);
	UbjKey(out, "split_indices");
	UbjInt32Array(out, t->split_index, n);
	UbjKey(out, "sum_hessian");
	UbjFloat32Array(out, t->sum_hessian, n);
	UbjKey(out, "tree_param");
	UbjBeginObject(out);
	WriteParam(out, "num_deleted", t->num_deleted);
	WriteParam(out, "num_feature", num_feature);
	WriteParam(out, "num_nodes", n);
	WriteParam(out, "size_leaf_vector", 0);
	UbjEndObject(out);
	UbjEndObject(out);
}

/*
 * ModelWriteCanonical
 *		The model, or some of its trees, as XGBoost 1.7 reads it, from
 *		validated parts only.
 *
 * Feature names are left out (XGBoost is given columns in the model's order
 * and needs no names), and so are attributes: neither affects predictions.
 */
void
ModelWriteCanonical(const ModelDef *model, int first_tree, int num_trees,
					StringInfo out)
{
	int			ntrees = num_trees;
	int			i;

	Assert(first_tree >= 0 && num_trees >= 0 &&
		   first_tree + num_trees <= model->num_trees);

	UbjBeginObject(out);

	UbjKey(out, "learner");
	UbjBeginObject(out);

	UbjKey(out, "attributes");
	UbjBeginObject(out);
	UbjEndObject(out);
	UbjKey(out, "feature_names");
	UbjBeginArray(out);
	UbjEndArray(out);
	UbjKey(out, "feature_types");
	UbjBeginArray(out);
	UbjEndArray(out);

	UbjKey(out, "gradient_booster");
	UbjBeginObject(out);
	UbjKey(out, "model");
	UbjBeginObject(out);
	UbjKey(out, "gbtree_model_param");
	UbjBeginObject(out);
	WriteParam(out, "num_parallel_tree", model->num_parallel_tree);
	WriteParam(out, "num_trees", ntrees);
	WriteParam(out, "size_leaf_vector", 0);
	UbjEndObject(out);
	UbjKey(out, "tree_info");
	UbjBeginArray(out);
	for (i = 0; i < ntrees; i++)
		UbjInt64(out, 0);
	UbjEndArray(out);
	UbjKey(out, "trees");
	UbjBeginArray(out);
	for (i = 0; i < ntrees; i++)
		WriteTree(out, &model->trees[first_tree + i], i, model->num_feature);
	UbjEndArray(out);
	UbjEndObject(out);
	UbjKey(out, "name");
	UbjString(out, "gbtree", 6);
	UbjEndObject(out);

	UbjKey(out, "learner_model_param");
	UbjBeginObject(out);
	UbjKey(out, "base_score");
	UbjString(out, model->base_score_text, strlen(model->base_score_text));
	UbjKey(out, "boost_from_average");
	UbjString(out, model->boost_from_average, strlen(model->boost_from_average));
	WriteParam(out, "num_class", 0);
	WriteParam(out, "num_feature", model->num_feature);
	WriteParam(out, "num_target", 1);
	UbjEndObject(out);

	UbjKey(out, "objective");
	appendBinaryStringInfo(out, model->objective_ubjson.data,
						   model->objective_ubjson.len);

	UbjEndObject(out);

	UbjKey(out, "version");
	UbjBeginArray(out);
	for (i = 0; i < 3; i++)
		UbjInt64(out, model->version[i]);
	UbjEndArray(out);

	UbjEndObject(out);
}

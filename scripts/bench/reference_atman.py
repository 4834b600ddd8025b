#!/usr/bin/env python3
"""A straightforward PyTorch AtMan on Hugging Face checkpoints — GPT-2, Llama, Mistral, Qwen2, BERT
(masked LM and sequence classification) and ViT image classification — written after the official
code (Aleph-Alpha/AtMan: atman-magma/atman_magma/{explainer.py, manipulate_attention.py,
conceptual_suppression.py, logit_parsing.py} and gpt_neo/modeling_gpt_neo.py; Deiseroth et al.,
NeurIPS 2023). Every perturbation is a full `transformers` forward pass, run in batches of
`--batch-size` perturbations, with the attention scores manipulated inside a replaced attention
function. It shares no code with Glassbox. It is both

  * the speed reference of `glassbox-bench atman` (prints ONE JSON line):

        .venv-ref/bin/python scripts/bench/reference_atman.py --model .cache/bench/gpt2-small \\
            --ids 1,2,3,... --target 42 --threads 2 --batch-size 8 --repeats 1

    {"median_s", "min_s", "times", "cpu_s", "peak_rss_mb", "base_rss_mb", "passes", "threads", "batch_size",
     "tokens", "torch", "transformers", "logits_rows", "delta_ce"}; cpu_s is the process's CPU time per run (all
     threads); peak_rss_mb is the process's VmHWM during the
     timed runs (reset through /proc/self/clear_refs first), base_rss_mb its resident size before;
     it projects only the target rows onto the vocabulary (--logits-rows targets; `all` computes the
     logits at every position, then keeps the target rows). With --serve it is the served side of
     glassbox-bench atman (scripts/bench/bench_serve.py): one timed explanation per `run` line,
     answered with {"s", "cpu_s", "delta_ce"};

  * the reference that scripts/fixtures/generate_atman.py computes the committed parity values with
    (`load`, `explain`).

The manipulation (manipulate_attention_scores with multiplicative=True, called before scaling as
the GPT-J path does, then the rest of that path's _attn), per edited layer and head, on the raw
scores `q·kᵀ` [B, H, n, n] (grouped-query keys repeated per query head):

  1. shift each row by its minimum — "row": over the whole raw row, keys the query cannot see
     (causally-future, outside a sliding window) included, as the official code (its minimum runs
     before any mask; the default); "visible": over the keys the query sees (Glassbox's own
     variant); "none": no shift (the BLIP ViT variant of the repository);
  2. multiply column j of batch item b by its factor F[b, j], for every query row;
  3. fill the keys the query cannot see with -10000;
  4. scale as the model scales (GPT-2: 1/sqrt(dh), and 1/(layer+1) with
     scale_attn_by_inverse_layer_idx; Llama family and ViT: the module's `scaling`; BERT: 1/sqrt(dh));
  5. mask the invisible keys again (-1e9), clamp every score at -10000, softmax.

Which keys a query sees is read from the model itself: GPT-2's causal `bias` buffer, the 4D masks
`transformers` builds for the Llama family (eager masks, sliding windows included), all keys for
BERT and ViT (one unpadded sequence). Unedited layers run steps 4-5 only. Config 0 is the
unmanipulated pass (factors all 1, still shifted and filled, as the reference's config 0).

Conceptual suppression (ConceptualSuppression) uses the cosine similarities of the input
embeddings: the token embeddings without positions (text), or the [CLS] vector and the patch
projections without positions (ViT). OPT with word_embed_proj_dim ≠ hidden_size (opt-350m): the
token embeddings after project_in, in the residual stream's width (what OPTDecoder adds the
positions to, and Glassbox's hook_embed), not embed_tokens' own narrower rows. Scores (logit_parsing): ΔCE = CE_pert − CE_orig per target
(the official get_delta_cross_entropies returns CE_orig − CE_pert), Δlogit = logit_orig −
logit_pert. Only the target rows of the logits are kept per batch (the reference keeps all rows);
with `target_rows_only` (the benchmark mode, always on in `main`) a causal LM projects only those
rows onto the vocabulary (`logits_to_keep` = the target positions), as Glassbox does, instead of
computing the logits at every position and dropping all but the target rows.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import types
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
import torch.nn.functional as F
import transformers
from transformers import AttentionInterface
from transformers.masking_utils import AttentionMaskInterface, eager_mask

sys.path.insert(0, str(Path(__file__).resolve().parent))                 # bench_serve, also when imported
from bench_serve import reset_peak_rss, serve, status_mb  # noqa: E402


class _State:
    """What the replaced attention reads (the reference sets the same on its model object)."""
    factors: torch.Tensor | None = None   # [B, n] column factors of the current batch
    shift: str = "row"                    # "row" | "visible" | "none"
    layers: list[int] | None = None       # None: all layers


STATE = _State()
ATTENTION_CLASSES = ("AlbertAttention", "GPT2Attention", "LlamaAttention", "MistralAttention", "Qwen2Attention", "Qwen3Attention",
                     "GPTNeoXAttention", "BertSelfAttention", "ViTSelfAttention", "Phi3Attention", "MixtralAttention",
                     "RobertaSelfAttention", "XLMRobertaSelfAttention", "CamembertSelfAttention", "MultiHeadSelfAttention",
                     "ElectraSelfAttention",
                     "GemmaAttention", "Gemma2Attention", "Gemma3Attention", "Olmo2Attention", "PhiAttention",
                     "GPTJAttention", "CodeGenAttention",
                     "FalconAttention",
                     "GPTNeoSelfAttention",
                     "BloomAttention",
                     "OPTAttention",
                     "Qwen2MoeAttention", "Qwen3MoeAttention",
                     "GPTBigCodeAttention",
                     "GraniteAttention",
                     "StableLmAttention",
                     "CohereAttention",
                     "OlmoeAttention",
                     "Starcoder2Attention",
                     "OlmoAttention",
                     "SmolLM3Attention",
                     "Cohere2Attention",
                     "GlmAttention", "Glm4Attention",
                     "GraniteMoeAttention", "GraniteMoeSharedAttention",
                     "ArceeAttention",
                     "NemotronAttention",
                     "HeliumAttention",
                     "MptAttention",
                     "ModernBertAttention",
                     "PhimoeAttention")


def manipulated_attention(layer: int, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor,
                          visible: torch.Tensor, scale: float, softcap: float | None = None,
                          bias: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """query, key, value: [B, H, n, dh] (one key head per query head); visible: bool, broadcastable
    to [B, H, n, n]. Returns the attention output [B, n, H, dh] and the pattern [B, H, n, n].
    softcap (Gemma 2): the scaled scores are capped, c·tanh(s/c), before the manipulation (which then
    acts on what the model's softmax reads, as Glassbox edits hook_attn_scores).
    bias (BLOOM's ALiBi, [B, H, 1, n]): added to the scaled scores before the manipulation, which
    likewise acts on what the softmax reads (alibi + q·kᵀ·scale, as hook_attn_scores holds it)."""
    w = torch.matmul(query, key.transpose(-1, -2))                       # raw q·kᵀ [B, H, n, n]
    if bias is not None:
        w = w + bias / scale
    if softcap is not None:
        w = softcap * torch.tanh(w * scale / softcap) / scale
    visible = visible.expand_as(w)
    if STATE.factors is not None and (STATE.layers is None or layer in STATE.layers):
        if STATE.shift == "row":
            w = w - w.min(-1).values.unsqueeze(3)                        # the whole raw row
        elif STATE.shift == "visible":
            w = w - w.masked_fill(~visible, float("inf")).min(-1).values.unsqueeze(3)
        elif STATE.shift != "none":
            raise ValueError(f"unknown shift {STATE.shift!r}")
        w = w * STATE.factors[:, None, None, :].to(w.dtype)             # column j, every query row
        w = w.masked_fill(~visible, -10000.0)
    w = w * scale
    w = torch.where(visible, w, torch.tensor(-1e9, dtype=w.dtype))
    w = w.clamp(min=-10000.0)
    p = torch.softmax(w, dim=-1)
    # contiguous: GraniteMoeAttention .view()s the output (eager_attention_forward's is contiguous too)
    return torch.matmul(p, value).transpose(1, 2).contiguous(), p


def _repeat_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    """[B, Hkv, n, dh] -> [B, H, n, dh]: query head h reads key/value head h // (H / Hkv)."""
    return x.repeat_interleave(heads // x.shape[1], dim=1)


def atman_attention(module, query, key, value, attention_mask, **kwargs):
    """The `attn_implementation="atman"` function (GPT-2, Llama, Mistral, Qwen2, Qwen3, GPT-NeoX, ViT).
    query: [B, H, n, dh]; key, value: [B, Hkv, n, dh]; attention_mask: the 4D additive mask, or
    (ViT) the head mask."""
    kind = type(module).__name__
    n = query.shape[2]
    key, value = _repeat_heads(key, query.shape[1]), _repeat_heads(value, query.shape[1])
    if kind == "GPT2Attention":
        visible = module.bias[:, :, :n, :n].bool()
        if attention_mask is not None:
            visible = visible & (attention_mask[:, :, :, :n] == 0)
        scale = value.size(-1) ** -0.5 if module.scale_attn_weights else 1.0
        if module.scale_attn_by_inverse_layer_idx:
            scale /= float(module.layer_idx + 1)
    elif kind == "ViTSelfAttention":
        assert attention_mask is None, "head masks are not supported"
        visible = torch.ones(1, 1, n, n, dtype=torch.bool)
        scale = kwargs["scaling"]
    else:                                                     # Llama, Mistral, Qwen2, Qwen3, GPT-NeoX, Gemma, OLMo 2
        assert attention_mask is not None and attention_mask.dim() == 4, "expected an eager 4D mask"
        visible = attention_mask[:, :, :, :n] == 0
        scale = kwargs["scaling"]
    return manipulated_attention(module._atman_layer, query, key, value, visible, scale, kwargs.get("softcap"))


AttentionInterface.register("atman", atman_attention)
AttentionMaskInterface.register("atman", eager_mask)


def _bert_self_attention_forward(self, hidden_states, attention_mask=None, head_mask=None,
                                 encoder_hidden_states=None, encoder_attention_mask=None,
                                 past_key_value=None, output_attentions=False):
    """BertSelfAttention.forward (transformers 4.53 has no attention interface for BERT) for one
    unpadded encoder sequence, with the manipulation."""
    assert encoder_hidden_states is None and past_key_value is None and head_mask is None
    assert self.position_embedding_type == "absolute"
    z, p = _bert_style_manipulated(self, hidden_states, attention_mask)
    return (z, p) if output_attentions else (z,)


def _bert_style_manipulated(self, hidden_states, attention_mask):
    """The manipulated attention of a BERT-style module (query, key, value Linears; an additive mask
    whose zeros are the visible keys): z [B, n, H·dh] and the probabilities."""
    def heads(x):                                                         # [B, n, d] -> [B, H, n, dh]
        return x.view(*x.shape[:-1], self.num_attention_heads, self.attention_head_size).permute(0, 2, 1, 3)

    q, k, v = heads(self.query(hidden_states)), heads(self.key(hidden_states)), heads(self.value(hidden_states))
    n = q.shape[2]
    visible = torch.ones(1, 1, n, n, dtype=torch.bool)
    if attention_mask is not None:
        visible = visible & (attention_mask[:, :, :, :n] == 0)
    z, p = manipulated_attention(self._atman_layer, q, k, v, visible, self.attention_head_size ** -0.5)
    return z.reshape(*z.shape[:2], self.all_head_size), p


def _albert_attention_forward(self, hidden_states, attention_mask=None, head_mask=None, output_attentions=False):
    """AlbertAttention.forward (no attention interface in transformers 4.53) for one unpadded
    sequence, with the manipulation: q·kᵀ/√dh, then `dense` and `LayerNorm(hidden + dense(z))`, which
    ALBERT's attention module includes. The model is unrolled first (albert_fixtures.unroll), so each
    application of a shared layer is its own module with its own `_atman_layer`."""
    assert head_mask is None and self.position_embedding_type == "absolute"
    z, p = _bert_style_manipulated(self, hidden_states, attention_mask)
    out = self.LayerNorm(hidden_states + self.dense(z))
    return (out, p) if output_attentions else (out,)


def _distilbert_attention_forward(self, query, key, value, mask, head_mask=None, output_attentions=False):
    """DistilBERT's MultiHeadSelfAttention.forward (no attention interface in transformers 4.53) for
    one unpadded sequence, with the manipulation on the unscaled q·kᵀ as for BERT."""
    assert head_mask is None
    bs, n, _ = query.shape
    dh = self.dim // self.n_heads

    def heads(x):                                                         # [B, n, d] -> [B, H, n, dh]
        return x.view(bs, -1, self.n_heads, dh).transpose(1, 2)

    q, k, v = heads(self.q_lin(query)), heads(self.k_lin(key)), heads(self.v_lin(value))
    visible = (mask != 0).view(bs, 1, 1, n) if mask is not None else torch.ones(1, 1, n, n, dtype=torch.bool)
    z, p = manipulated_attention(self._atman_layer, q, k, v, visible, dh ** -0.5)
    z = self.out_lin(z.reshape(bs, n, self.dim))
    return (z, p) if output_attentions else (z,)


def _gptj_attn(self, query, key, value, attention_mask=None, head_mask=None):
    """GPTJAttention._attn (GPT-J has no attention interface in transformers 4.53) with the
    manipulation: query, key (rotated), value [B, H, n, dh]; attention_mask the eager 4D additive
    causal mask; scores divided by scale_attn = √dh. Returns ([B, H, n, dh], pattern) as _attn."""
    assert head_mask is None
    n = query.shape[2]
    visible = attention_mask[:, :, :, :n] == 0
    z, p = manipulated_attention(self._atman_layer, query.to(torch.float32), key.to(torch.float32), value,
                                 visible, 1.0 / float(self.scale_attn))
    return z.transpose(1, 2), p


def _falcon_attention_forward(self, hidden_states, alibi, attention_mask, position_ids=None, layer_past=None,
                              head_mask=None, use_cache=False, output_attentions=False, cache_position=None,
                              position_embeddings=None):
    """FalconAttention.forward (transformers 4.53 has no attention interface for Falcon) with rotary
    positions and no cache reuse, with the manipulation: the fused projection split by the module's
    own _split_heads, rotated by its module's apply_rotary_pos_emb, scaled by inv_norm_factor."""
    assert alibi is None and head_mask is None, "ALiBi and head masks are not supported"
    assert attention_mask is not None and attention_mask.dim() == 4, "expected an eager 4D mask"
    rotate = sys.modules[type(self).__module__].apply_rotary_pos_emb
    q, k, v = self._split_heads(self.query_key_value(hidden_states))
    bs, n = q.shape[:2]
    kv = self.num_heads if self.new_decoder_architecture else self.num_kv_heads
    q = q.transpose(1, 2).reshape(bs, self.num_heads, n, self.head_dim)
    k = k.transpose(1, 2).reshape(bs, kv, n, self.head_dim)
    v = v.transpose(1, 2).reshape(bs, kv, n, self.head_dim)
    cos, sin = position_embeddings
    q, k = rotate(q, k, cos, sin)
    k, v = _repeat_heads(k, self.num_heads), _repeat_heads(v, self.num_heads)
    visible = attention_mask[:, :, :, :n] == 0
    z, p = manipulated_attention(self._atman_layer, q, k, v, visible, self.inv_norm_factor)
    z = self.dense(z.reshape(bs, n, self.num_heads * self.head_dim))
    return (z, layer_past, p) if output_attentions else (z, layer_past)


def _bloom_attention_forward(self, hidden_states, residual, alibi, attention_mask, layer_past=None,
                             head_mask=None, use_cache=False, output_attentions=False, cache_position=None):
    """BloomAttention.forward (transformers 4.53 has no attention interface for BLOOM) with no cache
    reuse, with the manipulation: the fused projection split by the module's own _reshape, the ALiBi
    tensor the model built in this forward added to the scaled scores (manipulated_attention's
    `bias`), scaled by inv_norm_factor; dense plus the residual, as BloomAttention returns."""
    assert head_mask is None, "head masks are not supported"
    assert attention_mask is not None and attention_mask.dim() == 4, "expected an eager 4D mask"
    q, k, v = self._reshape(self.query_key_value(hidden_states))        # [B, H, n, dh]
    bs, _, n, _ = q.shape
    visible = attention_mask[:, :, :, :n] == 0
    z, p = manipulated_attention(self._atman_layer, q, k, v, visible, self.inv_norm_factor,
                                 bias=alibi.view(bs, self.num_heads, 1, -1))
    z = self.dense(z.reshape(bs, n, self.num_heads * self.head_dim)) + residual
    return (z, layer_past, p) if output_attentions else (z, layer_past)


def _mpt_attention_forward(self, hidden_states, position_bias, past_key_value=None, attention_mask=None):
    """MptAttention.forward (transformers 4.53 has no attention interface for MPT) with no cache reuse,
    with the manipulation: the fused Wqkv output clamped by clip_qkv where set and cut q | k | v, the
    model's ALiBi table sliced to the last n keys (slope·(j − (n − 1)), as MptAttention slices it) added
    to the scores scaled by softmax_scale (manipulated_attention's `bias`), the bool causal mask's
    visible keys; out_proj, as MptAttention returns it (MptBlock adds the residual)."""
    assert attention_mask is not None and attention_mask.dim() == 4, "expected a 4D mask"
    bs, n, _ = hidden_states.shape
    qkv = self.Wqkv(hidden_states)
    if self.clip_qkv:
        qkv = qkv.clamp(min=-self.clip_qkv, max=self.clip_qkv)
    q, k, v = (x.reshape(bs, n, self.n_heads, self.head_dim).transpose(1, 2) for x in qkv.chunk(3, dim=2))
    bias = position_bias[:, :, max(0, position_bias.size(2) - n):]     # [H, 1, n]
    visible = ~attention_mask[:, :, :, :n]
    z, p = manipulated_attention(self._atman_layer, q, k, v, visible, self.softmax_scale,
                                 bias=bias.view(1, self.n_heads, 1, n))
    return self.out_proj(z.reshape(bs, n, self.n_heads * self.head_dim)), p, None


def _modernbert_attention_forward(self, hidden_states, output_attentions=False, attention_mask=None,
                                  sliding_window_mask=None, position_ids=None, **kwargs):
    """ModernBertAttention.forward (its eager function rotates inside; transformers 4.53 looks it up in
    MODERNBERT_ATTENTION_FUNCTION, not the attention interface) for one unpadded sequence, with the
    manipulation: Wqkv viewed [B, n, 3, H, dh], q and k rotated by the layer's own rotary_emb and
    apply_rotary_pos_emb, the visible keys those of the additive mask the eager function adds
    (sliding_window_mask in local layers, local_attention != (-1, -1)), scale head_dim ** -0.5; Wo."""
    from transformers.models.modernbert.modeling_modernbert import apply_rotary_pos_emb
    bs, n, _ = hidden_states.shape
    qkv = self.Wqkv(hidden_states).view(bs, n, 3, self.num_heads, self.head_dim)
    cos, sin = self.rotary_emb(qkv, position_ids=position_ids)
    q, k, v = qkv.transpose(3, 1).unbind(dim=2)                          # [B, H, n, dh]
    q, k = apply_rotary_pos_emb(q, k, cos, sin)
    mask = sliding_window_mask if self.local_attention != (-1, -1) else attention_mask
    visible = mask[:, :, :, :n] == 0
    z, p = manipulated_attention(self._atman_layer, q, k, v, visible, self.head_dim ** -0.5)
    out = self.out_drop(self.Wo(z.reshape(bs, n, self.all_head_size)))
    return (out, p) if output_attentions else (out,)


def _qwen2moe_attention_forward(self, hidden_states, attention_mask=None, position_ids=None, past_key_value=None,
                                output_attentions=False, use_cache=False, cache_position=None, position_embeddings=None):
    """Qwen2MoeAttention.forward, OlmoeAttention.forward and PhimoeAttention.forward (transformers 4.53
    computes their eager attention inline, with no attention interface) without cache reuse, with the
    manipulation: q, k, v projected (OLMoE: q_norm / k_norm over the whole projections, then clip_qkv's
    clamp of q, k and v where set), rotated by the module's apply_rotary_pos_emb (PhiMoE's indexes its
    tables by position_ids), scaled by 1/√head_dim, the 4D mask's visible keys."""
    assert attention_mask is not None and attention_mask.dim() == 4, "expected an eager 4D mask"
    rotate = sys.modules[type(self).__module__].apply_rotary_pos_emb
    bs, n, _ = hidden_states.shape
    shape = (bs, n, -1, self.head_dim)
    q, k, v = self.q_proj(hidden_states), self.k_proj(hidden_states), self.v_proj(hidden_states)
    if hasattr(self, "q_norm"):                                      # OlmoeAttention, before the head split
        q, k = self.q_norm(q), self.k_norm(k)
        c = self.config.clip_qkv
        if c is not None:                                            # OlmoeAttention's clamp_, after the norms
            q, k, v = q.clamp(-c, c), k.clamp(-c, c), v.clamp(-c, c)
    q, k = q.view(shape).transpose(1, 2), k.view(shape).transpose(1, 2)
    v = v.view(shape).transpose(1, 2)
    cos, sin = position_embeddings
    q, k = rotate(q, k, cos, sin, position_ids) if type(self).__name__ == "PhimoeAttention" else rotate(q, k, cos, sin)
    k, v = _repeat_heads(k, self.num_heads), _repeat_heads(v, self.num_heads)
    visible = attention_mask[:, :, :, :n] == 0
    z, p = manipulated_attention(self._atman_layer, q, k, v, visible, self.head_dim ** -0.5)
    z = self.o_proj(z.reshape(bs, n, self.num_heads * self.head_dim))
    return z, (p if output_attentions else None), past_key_value


def _stablelm_attention_forward(self, hidden_states, attention_mask=None, position_ids=None, past_key_value=None,
                                output_attentions=False, use_cache=False, cache_position=None, position_embeddings=None):
    """StableLmAttention.forward (transformers 4.53 computes its eager attention inline, with no
    attention interface) without cache reuse, with the manipulation: q, k, v projected, the optional
    per-head q/k LayerNorms, the first rotary_ndims dimensions rotated by its module's
    apply_rotary_pos_emb (the rest passed through), scaled by 1/√head_dim, the 4D mask's visible keys."""
    assert attention_mask is not None and attention_mask.dim() == 4, "expected an eager 4D mask"
    rotate = sys.modules[type(self).__module__].apply_rotary_pos_emb
    bs, n, _ = hidden_states.shape
    shape = (bs, n, -1, self.head_dim)
    q = self.q_proj(hidden_states).view(shape).transpose(1, 2)
    k = self.k_proj(hidden_states).view(shape).transpose(1, 2)
    v = self.v_proj(hidden_states).view(shape).transpose(1, 2)
    if self.qk_layernorm:
        q, k = self.q_layernorm(q), self.k_layernorm(k)
    cos, sin = position_embeddings
    r = self.rotary_ndims
    q_rot, k_rot = rotate(q[..., :r], k[..., :r], cos, sin)
    q, k = torch.cat((q_rot, q[..., r:]), dim=-1), torch.cat((k_rot, k[..., r:]), dim=-1)
    k, v = _repeat_heads(k, self.num_heads), _repeat_heads(v, self.num_heads)
    visible = attention_mask[:, :, :, :n] == 0
    z, p = manipulated_attention(self._atman_layer, q, k, v, visible, self.head_dim ** -0.5)
    z = self.o_proj(z.reshape(bs, n, self.num_heads * self.head_dim))
    return z, (p if output_attentions else None), past_key_value


def _nemotron_attention_forward(self, hidden_states, position_embeddings=None, attention_mask=None, position_ids=None,
                                past_key_value=None, output_attentions=False, use_cache=False, cache_position=None, **kwargs):
    """NemotronAttention.forward (transformers 4.53 computes its eager attention inline, with no
    attention interface) without cache reuse, with the manipulation: q, k, v projected (biases with
    attention_bias), the first int(head_dim · partial_rotary_factor) dimensions rotated by its module's
    apply_rotary_pos_emb (which cuts at cos's width and passes the rest), scaled by 1/√head_dim, the 4D
    mask's visible keys."""
    assert attention_mask is not None and attention_mask.dim() == 4, "expected an eager 4D mask"
    rotate = sys.modules[type(self).__module__].apply_rotary_pos_emb
    bs, n, _ = hidden_states.shape
    shape = (bs, n, -1, self.head_dim)
    q = self.q_proj(hidden_states).view(shape).transpose(1, 2)
    k = self.k_proj(hidden_states).view(shape).transpose(1, 2)
    v = self.v_proj(hidden_states).view(shape).transpose(1, 2)
    cos, sin = position_embeddings
    q, k = rotate(q, k, cos, sin, position_ids) if type(self).__name__ == "PhimoeAttention" else rotate(q, k, cos, sin)
    k, v = _repeat_heads(k, self.num_heads), _repeat_heads(v, self.num_heads)
    visible = attention_mask[:, :, :, :n] == 0
    z, p = manipulated_attention(self._atman_layer, q, k, v, visible, self.head_dim ** -0.5)
    z = self.o_proj(z.reshape(bs, n, self.num_heads * self.head_dim))
    return z, (p if output_attentions else None), past_key_value


def _gpt_neo_attn(self, query, key, value, attention_mask=None, head_mask=None):
    """GPTNeoSelfAttention._attn (GPT-Neo has no attention interface in transformers 4.53; it is the
    model AtMan's official code patches) with the manipulation: unscaled scores (scale 1), the keys
    a query sees from the layer's own `bias` buffer (causal, or the local window) and the 4D mask.
    Returns (attn_output [B, H, n, dh], pattern)."""
    assert head_mask is None
    n, m = query.shape[2], key.shape[2]
    visible = self.bias[:, :, m - n:m, :m]
    if attention_mask is not None:
        visible = visible & (attention_mask[:, :, :, :m] == 0)
    z, p = manipulated_attention(self._atman_layer, query, key, value, visible, 1.0)
    return z.transpose(1, 2), p


def _bigcode_attn(self, query, key, value, attention_mask=None, head_mask=None):
    """GPTBigCodeAttention._attn (GPT-BigCode has no attention interface in transformers 4.53) with
    the manipulation: scores scaled by dh^-0.5 when scale_attn_weights, else 1; the keys a query sees
    from the boolean mask GPTBigCodeModel passes ([B, n, 1, m] with multi_query, [B, 1, n, m] without).
    multi_query: query [B, n, H·dh], key [B, dh, m] and value [B, m, dh] of the one key/value head,
    returned as the model's own _attn returns them: ([B, n, H·dh], pattern [B, n, H, m]); otherwise
    query [B, H, n, dh], key [B, H, dh, m], value [B, H, m, dh] -> ([B, H, n, dh], [B, H, n, m])."""
    assert head_mask is None
    scale = self.head_dim ** -0.5 if self.scale_attn_weights else 1.0
    if self.multi_query:
        b, n, _ = query.shape
        q = query.view(b, n, self.num_heads, self.head_dim).transpose(1, 2)
        k = key.transpose(-1, -2)[:, None].expand(b, self.num_heads, -1, -1)
        v = value[:, None].expand(b, self.num_heads, -1, -1)
        z, p = manipulated_attention(self._atman_layer, q, k, v, attention_mask.transpose(1, 2), scale)
        return z.reshape(b, n, self.num_heads * self.head_dim), p.transpose(1, 2)
    z, p = manipulated_attention(self._atman_layer, query, key.transpose(-1, -2), value, attention_mask, scale)
    return z.transpose(1, 2), p


def load(folder: str):
    """The checkpoint in `folder` (its config's architecture), float32, with the replaced attention.
    Every attention module gets `_atman_layer`, its layer index."""
    config = transformers.AutoConfig.from_pretrained(folder)
    cls = getattr(transformers, config.architectures[0])
    bert = config.model_type in ("bert", "roberta", "xlm-roberta", "camembert", "electra")   # their SelfAttention = BertSelfAttention
    distil = config.model_type == "distilbert"
    albert = config.model_type == "albert"                        # shared layers unrolled, forward replaced
    gptj = config.model_type in ("gptj", "codegen")                       # no attention interface: _attn replaced (CodeGen's is GPT-J's, mask added before the scale)
    falcon = config.model_type == "falcon"                                          # no attention interface
    neo = config.model_type == "gpt_neo"                          # GPTNeoSelfAttention._attn replaced
    bloom = config.model_type == "bloom"                                            # no attention interface
    qwen2moe = config.model_type in ("qwen2_moe", "olmoe", "phimoe")   # no attention interface: forward replaced
    bigcode = config.model_type == "gpt_bigcode"                  # GPTBigCodeAttention._attn replaced
    stablelm = config.model_type == "stablelm"                    # no attention interface: forward replaced
    nemotron = config.model_type == "nemotron"                    # no attention interface: forward replaced
    mpt = config.model_type == "mpt"                              # no attention interface: forward replaced
    modernbert = config.model_type == "modernbert"                # its own attention table: forward replaced
    model = cls.from_pretrained(folder, attn_implementation="eager" if albert or bert or distil or gptj or falcon or neo or bloom or qwen2moe or bigcode or stablelm or nemotron or mpt or modernbert else "atman",
                                torch_dtype=torch.float32).eval()
    if albert:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
        import albert_fixtures
        albert_fixtures.unroll(model)
    layer = 0
    for module in model.modules():
        if type(module).__name__ in ATTENTION_CLASSES:
            module._atman_layer = layer
            layer += 1
            if albert:
                module.forward = types.MethodType(_albert_attention_forward, module)
            elif bert:
                module.forward = types.MethodType(_bert_self_attention_forward, module)
            elif distil:
                module.forward = types.MethodType(_distilbert_attention_forward, module)
            elif gptj:
                module._attn = types.MethodType(_gptj_attn, module)
            elif falcon:
                module.forward = types.MethodType(_falcon_attention_forward, module)
            elif neo:
                module._attn = types.MethodType(_gpt_neo_attn, module)
            elif bloom:
                module.forward = types.MethodType(_bloom_attention_forward, module)
            elif qwen2moe:
                module.forward = types.MethodType(_qwen2moe_attention_forward, module)
            elif bigcode:
                module._attn = types.MethodType(_bigcode_attn, module)
            elif stablelm:
                module.forward = types.MethodType(_stablelm_attention_forward, module)
            elif nemotron:
                module.forward = types.MethodType(_nemotron_attention_forward, module)
            elif mpt:
                module.forward = types.MethodType(_mpt_attention_forward, module)
            elif modernbert:
                module.forward = types.MethodType(_modernbert_attention_forward, module)
    expected = model.config.num_hidden_layers if albert else config.num_hidden_layers   # ALBERT: the unrolled applications
    assert layer == expected, f"found {layer} attention modules, expected {expected}"
    return model


def input_embeddings(model, inputs: dict) -> torch.Tensor:
    """[n, d]: what conceptual suppression compares — token embeddings without positions, or for ViT
    the [CLS] vector and the patch projections without positions."""
    if "pixel_values" in inputs:
        emb = model.vit.embeddings
        patches = emb.patch_embeddings(inputs["pixel_values"])          # [1, P, d]
        return torch.cat([emb.cls_token[0], patches[0]])
    rows = model.get_input_embeddings()(inputs["input_ids"])[0]
    if model.config.model_type == "opt" and model.model.decoder.project_in is not None:
        rows = model.model.decoder.project_in(rows)
    return rows


def cosine_similarities(embeddings: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """ConceptualSuppression.get_similarity_matrix on [n, d] input embeddings, clipped to [-1, 1]."""
    e = embeddings.float()
    norms = e.norm(dim=1)[:, None]
    unit = e / torch.max(norms, eps * torch.ones_like(norms))
    return torch.mm(unit, unit.transpose(0, 1)).clip(-1, 1)


def configs(groups: list[list[int]], factor: float, kappa: float | None, scaled: bool,
            sims: torch.Tensor | None) -> list[dict]:
    """Explainer.get_default_configs_for_forward_passes + ConceptualSuppression.modify_configs.
    One-token groups follow the reference exactly; for a multi-token group every member gets
    `factor` and a neighbour reached from several members keeps its smallest factor (Glassbox's
    rule; the reference only supports one token per config with conceptual suppression)."""
    out = [{"keys": [], "factors": []}]                                   # config 0: no suppression
    for group in groups:
        fs = {i: factor for i in group}
        if kappa is not None:
            for i in group:
                for j in (sims[i] >= kappa).nonzero().view(-1).tolist():
                    if j in group:
                        continue
                    c = sims[i, j]
                    if not scaled:
                        fj = factor
                    elif 0 <= c.item() <= 1.0:
                        fj = ((1 - factor) * (1 - c) + factor).item()
                    else:
                        fj = 1.0
                    fs[j] = min(fs.get(j, float("inf")), fj)
        keys = sorted(fs)
        out.append({"group": group, "keys": keys, "factors": [fs[k] for k in keys]})
    return out


@torch.inference_mode()
def explain(model, inputs, target, *, factor=0.1, kappa=0.6, scaled=True, shift="row", layers=None,
            groups=None, temperature=None, batch_size=8, target_rows_only=False) -> dict:
    """AtMan: n + 1 passes in batches.

    inputs: token ids (list) or pixel values [3, H, W] (ViT).
    target: ("continuation", [t0, ...]) for causal LMs, teacher-forced as Explainer does (the input
    becomes prompt + t0..t_{T-2}, target t read at len(prompt) - 1 + t); ("token", id, position)
    for a token predicted at one position (next token, or a masked LM's [MASK]); ("label", index)
    for classifiers (read at the pooled row: [CLS], or a decoder classifier's last non-pad token).
    groups: the explained groups; default every position, except in causal models positions after
    the last scored row.
    target_rows_only: project only the target rows onto the vocabulary (causal LMs; `logits_to_keep`).

    Returns delta_ce [G, T] (CE_pert - CE_orig, positive = mattered), delta_logit [G, T]
    (logit_orig - logit_pert), base_ce [T], base_logit [T], the configs, input_ids and rows."""
    causal = not model.config.model_type in ("bert", "vit", "roberta", "xlm-roberta", "camembert", "distilbert", "modernbert", "electra", "albert")
    if isinstance(inputs, torch.Tensor):
        ids, batch_input = [], {"pixel_values": inputs[None].float()}
        n = 1 + (inputs.shape[1] // model.config.patch_size) * (inputs.shape[2] // model.config.patch_size)
    else:
        ids = list(inputs)
        if target[0] == "continuation":
            ids = ids + list(target[1][:-1])
        batch_input = {"input_ids": torch.tensor([ids])}
        n = len(ids)
    kind = target[0]
    if kind == "continuation":
        assert causal
        targets = list(target[1])
        rows = list(range(len(inputs) - 1, len(inputs) - 1 + len(targets)))
    elif kind == "token":
        targets, rows = [target[1]], [target[2]]
    elif kind == "label":
        # The classifier's pooled row: [CLS] for encoders; a decoder's (…ForSequenceClassification) last
        # token other than pad_token_id, as transformers pools it (the logits below are its own).
        pad = model.config.pad_token_id
        pooled = 0 if not causal else len(ids) - 1 if pad is None else max([i for i, t in enumerate(ids) if t != pad], default=0)
        targets, rows = [target[1]], [pooled]
        if causal and pad is None:
            batch_size = 1        # transformers pools batches of more than one only with a pad id (ValueError)
    else:
        raise ValueError(f"unknown target {target!r}")
    if groups is None:
        groups = [[i] for i in range(max(rows) + 1 if causal else n)]
    sims = cosine_similarities(input_embeddings(model, batch_input)) if kappa is not None else None
    assert sims is None or sims.shape == (n, n), (None if sims is None else sims.shape, n)
    cfgs = configs(groups, factor, kappa, scaled, sims)
    STATE.shift, STATE.layers = shift, layers
    kept = []
    for b in range(0, len(cfgs), batch_size):
        batch = cfgs[b:b + batch_size]
        fac = torch.ones(len(batch), n)
        for r, c in enumerate(batch):
            for k, f in zip(c["keys"], c["factors"]):
                fac[r, k] = f
        STATE.factors = fac
        try:
            args = {k: v.repeat(len(batch), *([1] * (v.dim() - 1))) for k, v in batch_input.items()}
            keep = causal and target_rows_only
            if causal:
                args["use_cache"] = False
            if keep:
                args["logits_to_keep"] = torch.tensor(rows)              # lm_head on the target rows only
            logits = model(**args).logits.float()                        # [B, n or T, V] or [B, labels]
        finally:
            STATE.factors = None
        kept.append(logits[:, None, :] if kind == "label" else logits if keep else logits[:, rows, :])
    logits = torch.cat(kept)                                              # [configs, T, V]
    y = torch.tensor(targets)
    scaled_logits = logits / temperature if temperature is not None else logits
    ce = torch.stack([F.cross_entropy(scaled_logits[c], y, reduction="none") for c in range(len(cfgs))])
    tl = logits[:, torch.arange(len(targets)), y]                         # [configs, T]
    return {"delta_ce": ce[1:] - ce[0], "delta_logit": tl[0] - tl[1:], "base_ce": ce[0],
            "base_logit": tl[0], "configs": cfgs[1:], "input_ids": ids, "rows": rows}



def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="a causal LM checkpoint folder")
    ap.add_argument("--ids", required=True, help="prompt token ids, comma-separated")
    ap.add_argument("--target", type=int, required=True, help="the explained next token")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--factor", type=float, default=0.1)
    ap.add_argument("--kappa", type=float, default=0.6)
    ap.add_argument("--shift", choices=["row", "visible", "none"], default="row")
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--logits-rows", choices=["targets", "all"], default="targets",
                    help="project only the target rows onto the vocabulary (default), or every position")
    ap.add_argument("--serve", action="store_true", help="timed runs on request (see bench_serve.py)")
    a = ap.parse_args()
    transformers.logging.set_verbosity_error()
    torch.set_num_threads(a.threads)
    model = load(a.model)
    prompt = [int(t) for t in a.ids.split(",") if t]
    base_rss = status_mb("VmRSS")
    reset_peak_rss()
    def run():
        return explain(model, prompt, ("continuation", [a.target]), factor=a.factor, kappa=a.kappa,
                       shift=a.shift, batch_size=a.batch_size, target_rows_only=a.logits_rows == "targets")

    info = {"base_rss_mb": round(base_rss, 1), "passes": len(prompt) + 1, "threads": a.threads,
            "batch_size": a.batch_size, "tokens": len(prompt), "torch": torch.__version__,
            "transformers": transformers.__version__, "logits_rows": a.logits_rows}
    if a.serve:
        for _ in range(a.warmup):
            run()

        def once() -> dict:
            c0 = time.process_time()
            t0 = time.perf_counter()
            r = run()
            return {"s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                    "delta_ce": [round(v, 6) for v in r["delta_ce"][:, 0].tolist()]}
        return serve(dict(info, ready=True), once,
                     lambda times: dict(info, times=times, peak_rss_mb=round(status_mb("VmHWM"), 1)))

    times, cpu, result = [], [], None
    for i in range(a.warmup + a.repeats):
        c0 = time.process_time()
        t0 = time.perf_counter()
        result = run()
        dt = time.perf_counter() - t0
        if i >= a.warmup:
            times.append(dt)
            cpu.append(time.process_time() - c0)
    print(json.dumps({"median_s": statistics.median(times), "min_s": min(times),
                      "times": [round(t, 4) for t in times],
                      "cpu_s": statistics.median(cpu), "peak_rss_mb": round(status_mb("VmHWM"), 1),
                      "base_rss_mb": round(base_rss, 1), "passes": len(prompt) + 1, "threads": a.threads,
                      "batch_size": a.batch_size, "tokens": len(prompt), "torch": torch.__version__,
                      "transformers": transformers.__version__, "logits_rows": a.logits_rows,
                      "delta_ce": [round(v, 6) for v in result["delta_ce"][:, 0].tolist()]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

(module
  (import "m" "memory" (memory 1))
  ;; sum[i] += w * src[i] for i < n (f64 sum, f32 src), saving the previous sum[i] into saved[i] when saved != 0.
  ;; Returns 1 if every src value is finite, 0 otherwise (the whole range is folded either way).
  (func (export "fold") (param $sum i32) (param $saved i32) (param $src i32) (param $n i32) (param $w f64) (result i32)
    (local $wv v128) (local $bad v128) (local $x v128) (local $d v128) (local $s0 v128) (local $s1 v128)
    (local $end i32) (local $xs f64) (local $ss f64) (local $badS i32)
    (local.set $wv (f64x2.splat (local.get $w)))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (if (local.get $saved)
      (then
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
            (local.set $x (v128.load (local.get $src)))
            (local.set $d (f32x4.sub (local.get $x) (local.get $x)))
            (local.set $bad (v128.or (local.get $bad) (f32x4.ne (local.get $d) (local.get $d))))
            (local.set $s0 (v128.load (local.get $sum)))
            (local.set $s1 (v128.load offset=16 (local.get $sum)))
            (v128.store (local.get $saved) (local.get $s0))
            (v128.store offset=16 (local.get $saved) (local.get $s1))
            (v128.store (local.get $sum) (f64x2.add (local.get $s0) (f64x2.mul (local.get $wv) (f64x2.promote_low_f32x4 (local.get $x)))))
            (v128.store offset=16 (local.get $sum) (f64x2.add (local.get $s1) (f64x2.mul (local.get $wv)
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $sum (i32.add (local.get $sum) (i32.const 32)))
            (local.set $saved (i32.add (local.get $saved) (i32.const 32)))
            (br $l))))
      (else
        (block $done
          (loop $l
            (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
            (local.set $x (v128.load (local.get $src)))
            (local.set $d (f32x4.sub (local.get $x) (local.get $x)))
            (local.set $bad (v128.or (local.get $bad) (f32x4.ne (local.get $d) (local.get $d))))
            (v128.store (local.get $sum) (f64x2.add (v128.load (local.get $sum)) (f64x2.mul (local.get $wv) (f64x2.promote_low_f32x4 (local.get $x)))))
            (v128.store offset=16 (local.get $sum) (f64x2.add (v128.load offset=16 (local.get $sum)) (f64x2.mul (local.get $wv)
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $sum (i32.add (local.get $sum) (i32.const 32)))
            (br $l)))))
    ;; the last n % 4 values, one at a time
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $xs (f64.promote_f32 (f32.load (local.get $src))))
        (local.set $ss (f64.load (local.get $sum)))
        (if (f64.ne (f64.sub (local.get $xs) (local.get $xs)) (f64.const 0)) (then (local.set $badS (i32.const 1))))
        (if (local.get $saved) (then
          (f64.store (local.get $saved) (local.get $ss))
          (local.set $saved (i32.add (local.get $saved) (i32.const 8)))))
        (f64.store (local.get $sum) (f64.add (local.get $ss) (f64.mul (local.get $w) (local.get $xs))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $sum (i32.add (local.get $sum) (i32.const 8)))
        (br $l)))
    (i32.and (i32.eqz (v128.any_true (local.get $bad))) (i32.eqz (local.get $badS))))
  ;; 1 if every one of the n f32 values at src is finite, else 0.
  (func (export "finite") (param $src i32) (param $n i32) (result i32)
    (local $bad v128) (local $x v128) (local $end i32) (local $badS i32) (local $xs f32)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $x (v128.load (local.get $src)))
        (local.set $x (f32x4.sub (local.get $x) (local.get $x)))
        (local.set $bad (v128.or (local.get $bad) (f32x4.ne (local.get $x) (local.get $x))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $l)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $xs (f32.load (local.get $src)))
        (if (f32.ne (f32.sub (local.get $xs) (local.get $xs)) (f32.const 0)) (then (local.set $badS (i32.const 1))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $l)))
    (i32.and (i32.eqz (v128.any_true (local.get $bad))) (i32.eqz (local.get $badS))))
  ;; fold with saved (as above) and, in the same pass, sum of (src[i] - base[i])^2 in f64: the
  ;; update's squared L2 distance from the global model. Four partial sums, one per i mod 4 (the tail
  ;; adds into the first), combined as (s0 + s1) + (s2 + s3): the order of squaredDistance's JS loop.
  ;; Returns the squared distance, or NaN if any src value is NaN or +-Inf (the range is folded either way).
  (func (export "fold_dist") (param $sum i32) (param $saved i32) (param $src i32) (param $base i32) (param $n i32) (param $w f64) (result f64)
    (local $wv v128) (local $bad v128) (local $x v128) (local $b v128) (local $d v128) (local $s0 v128) (local $s1 v128)
    (local $xl v128) (local $xh v128) (local $a0 v128) (local $a1 v128)
    (local $end i32) (local $xs f64) (local $ds f64) (local $ss f64) (local $t f64) (local $badS i32)
    (local.set $wv (f64x2.splat (local.get $w)))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $x (v128.load (local.get $src)))
        (local.set $b (v128.load (local.get $base)))
        (local.set $d (f32x4.sub (local.get $x) (local.get $x)))
        (local.set $bad (v128.or (local.get $bad) (f32x4.ne (local.get $d) (local.get $d))))
        (local.set $s0 (v128.load (local.get $sum)))
        (local.set $s1 (v128.load offset=16 (local.get $sum)))
        (v128.store (local.get $saved) (local.get $s0))
        (v128.store offset=16 (local.get $saved) (local.get $s1))
        (local.set $xl (f64x2.promote_low_f32x4 (local.get $x)))
        (local.set $xh (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x))))
        (v128.store (local.get $sum) (f64x2.add (local.get $s0) (f64x2.mul (local.get $wv) (local.get $xl))))
        (v128.store offset=16 (local.get $sum) (f64x2.add (local.get $s1) (f64x2.mul (local.get $wv) (local.get $xh))))
        (local.set $d (f64x2.sub (local.get $xl) (f64x2.promote_low_f32x4 (local.get $b))))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub (local.get $xh)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $base (i32.add (local.get $base) (i32.const 16)))
        (local.set $sum (i32.add (local.get $sum) (i32.const 32)))
        (local.set $saved (i32.add (local.get $saved) (i32.const 32)))
        (br $l)))
    (local.set $t (f64x2.extract_lane 0 (local.get $a0)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $xs (f64.promote_f32 (f32.load (local.get $src))))
        (local.set $ss (f64.load (local.get $sum)))
        (if (f64.ne (f64.sub (local.get $xs) (local.get $xs)) (f64.const 0)) (then (local.set $badS (i32.const 1))))
        (f64.store (local.get $saved) (local.get $ss))
        (f64.store (local.get $sum) (f64.add (local.get $ss) (f64.mul (local.get $w) (local.get $xs))))
        (local.set $ds (f64.sub (local.get $xs) (f64.promote_f32 (f32.load (local.get $base)))))
        (local.set $t (f64.add (local.get $t) (f64.mul (local.get $ds) (local.get $ds))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $base (i32.add (local.get $base) (i32.const 4)))
        (local.set $sum (i32.add (local.get $sum) (i32.const 8)))
        (local.set $saved (i32.add (local.get $saved) (i32.const 8)))
        (br $l)))
    (select (f64.const nan)
      (f64.add
        (f64.add (local.get $t) (f64x2.extract_lane 1 (local.get $a0)))
        (f64.add (f64x2.extract_lane 0 (local.get $a1)) (f64x2.extract_lane 1 (local.get $a1))))
      (i32.or (v128.any_true (local.get $bad)) (local.get $badS))))
  ;; The distance alone, fast (an upload checked now and folded later): sum of (src[i] - base[i])^2 with
  ;; the differences and squares in f32, summed in f32 per lane over blocks of 64 vectors (256 values) and
  ;; the block sums in f64. Each lane's block sum is within 66 x 2^-24 of its exact value, relative (every
  ;; term is >= 0), so the result is within 2^-17 of the exact sum, relative, plus 2^-126 per value for
  ;; squares below f32's normal range; +Inf if a square or block sum overflows f32 (the caller measures
  ;; that part again with dist_exact). NaN if any src value is NaN or +-Inf. The tail (n % 4) is exact.
  (func (export "dist") (param $src i32) (param $base i32) (param $n i32) (result f64)
    (local $bad v128) (local $x v128) (local $e v128) (local $d v128) (local $f v128) (local $a0 v128) (local $a1 v128)
    (local $end i32) (local $blk i32) (local $xs f64) (local $ds f64) (local $t f64) (local $badS i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $blk (i32.add (local.get $src) (i32.const 1024)))
        (if (i32.gt_u (local.get $blk) (local.get $end)) (then (local.set $blk (local.get $end))))
        (local.set $f (v128.const i32x4 0 0 0 0))
        (block $bd
          (loop $bl
            (br_if $bd (i32.ge_u (local.get $src) (local.get $blk)))
            (local.set $x (v128.load (local.get $src)))
            (local.set $e (f32x4.sub (local.get $x) (local.get $x)))
            (local.set $bad (v128.or (local.get $bad) (f32x4.ne (local.get $e) (local.get $e))))
            (local.set $d (f32x4.sub (local.get $x) (v128.load (local.get $base))))
            (local.set $f (f32x4.add (local.get $f) (f32x4.mul (local.get $d) (local.get $d))))
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $base (i32.add (local.get $base) (i32.const 16)))
            (br $bl)))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.promote_low_f32x4 (local.get $f))))
        (local.set $a1 (f64x2.add (local.get $a1)
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $f) (local.get $f)))))
        (br $l)))
    (local.set $t (f64x2.extract_lane 0 (local.get $a0)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $xs (f64.promote_f32 (f32.load (local.get $src))))
        (if (f64.ne (f64.sub (local.get $xs) (local.get $xs)) (f64.const 0)) (then (local.set $badS (i32.const 1))))
        (local.set $ds (f64.sub (local.get $xs) (f64.promote_f32 (f32.load (local.get $base)))))
        (local.set $t (f64.add (local.get $t) (f64.mul (local.get $ds) (local.get $ds))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $base (i32.add (local.get $base) (i32.const 4)))
        (br $l)))
    (select (f64.const nan)
      (f64.add
        (f64.add (local.get $t) (f64x2.extract_lane 1 (local.get $a0)))
        (f64.add (f64x2.extract_lane 0 (local.get $a1)) (f64x2.extract_lane 1 (local.get $a1))))
      (i32.or (v128.any_true (local.get $bad)) (local.get $badS))))
  ;; The distance alone, exactly as fold_dist sums it (f64 differences, squares and four partial sums), for
  ;; the parts where dist overflows f32; NaN if any src value is NaN or +-Inf.
  (func (export "dist_exact") (param $src i32) (param $base i32) (param $n i32) (result f64)
    (local $bad v128) (local $x v128) (local $b v128) (local $d v128) (local $a0 v128) (local $a1 v128)
    (local $end i32) (local $xs f64) (local $ds f64) (local $t f64) (local $badS i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $x (v128.load (local.get $src)))
        (local.set $b (v128.load (local.get $base)))
        (local.set $d (f32x4.sub (local.get $x) (local.get $x)))
        (local.set $bad (v128.or (local.get $bad) (f32x4.ne (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub (f64x2.promote_low_f32x4 (local.get $x)) (f64x2.promote_low_f32x4 (local.get $b))))
        (local.set $a0 (f64x2.add (local.get $a0) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $d (f64x2.sub
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))))
        (local.set $a1 (f64x2.add (local.get $a1) (f64x2.mul (local.get $d) (local.get $d))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $base (i32.add (local.get $base) (i32.const 16)))
        (br $l)))
    (local.set $t (f64x2.extract_lane 0 (local.get $a0)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $xs (f64.promote_f32 (f32.load (local.get $src))))
        (if (f64.ne (f64.sub (local.get $xs) (local.get $xs)) (f64.const 0)) (then (local.set $badS (i32.const 1))))
        (local.set $ds (f64.sub (local.get $xs) (f64.promote_f32 (f32.load (local.get $base)))))
        (local.set $t (f64.add (local.get $t) (f64.mul (local.get $ds) (local.get $ds))))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (local.set $base (i32.add (local.get $base) (i32.const 4)))
        (br $l)))
    (select (f64.const nan)
      (f64.add
        (f64.add (local.get $t) (f64x2.extract_lane 1 (local.get $a0)))
        (f64.add (f64x2.extract_lane 0 (local.get $a1)) (f64x2.extract_lane 1 (local.get $a1))))
      (i32.or (v128.any_true (local.get $bad)) (local.get $badS))))
  ;; out[i] = f32(sum[i] × inv) for i < n, the weighted mean as float32 (rounded to nearest, as a Float32Array
  ;; store rounds); returns Σ out[i]² summed in order in float64 (each square exact), the same bits as a plain
  ;; loop over the output, so the update-norm bound is what it was. Four values a step: the products and the
  ;; demotion in SIMD, the squares added one after another.
  (func (export "mean") (param $sum i32) (param $out i32) (param $n i32) (param $inv f64) (result f64)
    (local $iv v128) (local $y v128) (local $end i32) (local $acc f64) (local $v f64)
    (local.set $iv (f64x2.splat (local.get $inv)))
    (local.set $end (i32.add (local.get $out) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $y (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          (f32x4.demote_f64x2_zero (f64x2.mul (v128.load (local.get $sum)) (local.get $iv)))
          (f32x4.demote_f64x2_zero (f64x2.mul (v128.load offset=16 (local.get $sum)) (local.get $iv)))))
        (v128.store (local.get $out) (local.get $y))
        (local.set $v (f64.promote_f32 (f32x4.extract_lane 0 (local.get $y))))
        (local.set $acc (f64.add (local.get $acc) (f64.mul (local.get $v) (local.get $v))))
        (local.set $v (f64.promote_f32 (f32x4.extract_lane 1 (local.get $y))))
        (local.set $acc (f64.add (local.get $acc) (f64.mul (local.get $v) (local.get $v))))
        (local.set $v (f64.promote_f32 (f32x4.extract_lane 2 (local.get $y))))
        (local.set $acc (f64.add (local.get $acc) (f64.mul (local.get $v) (local.get $v))))
        (local.set $v (f64.promote_f32 (f32x4.extract_lane 3 (local.get $y))))
        (local.set $acc (f64.add (local.get $acc) (f64.mul (local.get $v) (local.get $v))))
        (local.set $sum (i32.add (local.get $sum) (i32.const 32)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br $l)))
    (local.set $end (i32.add (local.get $end) (i32.shl (i32.and (local.get $n) (i32.const 3)) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $out) (local.get $end)))
        (local.set $v (f64.promote_f32 (f32.demote_f64 (f64.mul (f64.load (local.get $sum)) (local.get $inv)))))
        (f32.store (local.get $out) (f32.demote_f64 (local.get $v)))
        (local.set $acc (f64.add (local.get $acc) (f64.mul (local.get $v) (local.get $v))))
        (local.set $sum (i32.add (local.get $sum) (i32.const 8)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $l)))
    (local.get $acc))
)

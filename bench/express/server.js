// GET /api/customer-id/loyalty/:customerId the way an Express + node-postgres service would:
// verify the bearer token, read the account row and its 20 newest ledger entries, shape the
// same JSON. Used only by bench/run.sh to compare against the Rust service on the same data.
const express = require('express');
const jwt = require('jsonwebtoken');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 8 });
const secret = process.env.JWT_SECRET;
const tiers = [
  { tier: 'bronze', name: 'Bronze', min: 0 },
  { tier: 'silver', name: 'Silver', min: 1001 },
  { tier: 'gold', name: 'Gold', min: 5001 },
  { tier: 'platinum', name: 'Platinum', min: 10001 },
];

const app = express();
app.get('/api/customer-id/loyalty/:customerId', async (req, res) => {
  const auth = req.get('authorization') || '';
  try {
    jwt.verify(auth.replace(/^Bearer /, ''), secret, { audience: 'customer-id', issuer: 'cid', algorithms: ['HS256'] });
  } catch (e) {
    return res.status(401).json({ success: false, error: 'invalid token' });
  }
  const id = req.params.customerId;
  const account = await pool.query('SELECT * FROM loyalty_accounts WHERE customer_id = $1', [id]);
  const history = await pool.query(
    'SELECT * FROM ledger_entries WHERE customer_id = $1 ORDER BY id DESC LIMIT 20', [id]);
  const a = account.rows[0] || { points: 0, lifetime_points: 0, tier: 'bronze', qualifying_points: 0, total_spent_minor: 0 };
  const i = tiers.findIndex((t) => t.tier === a.tier);
  const next = tiers[i + 1];
  res.json({
    success: true,
    data: {
      customerId: id,
      points: Number(a.points),
      lifetimePoints: Number(a.lifetime_points),
      tier: a.tier,
      tierName: tiers[i].name,
      nextTier: next ? next.tier : null,
      pointsToNextTier: next ? Math.max(0, next.min - Number(a.qualifying_points)) : 0,
      totalSpent: Number(a.total_spent_minor) / 100,
      pointsHistory: history.rows.map((e) => ({
        id: Number(e.id), type: e.entry_type, points: e.points, balanceAfter: Number(e.balance_after),
        reason: e.reason, orderId: e.order_id, createdAt: e.created_at.toISOString(),
      })),
    },
  });
});
app.listen(Number(process.env.PORT), '127.0.0.1');

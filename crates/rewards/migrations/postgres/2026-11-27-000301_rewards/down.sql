DROP TABLE reward_instances;
